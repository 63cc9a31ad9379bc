// GraphQL types from the API's contract (../api/schema.graphql), as web/codegen.ts does. The documents
// are strings (documentMode "string"): no graphql-js in the 2 MB package, the operation text is sent as is.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: process.env.ZHIKU_SCHEMA ?? "../api/schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**"],
  ignoreNoDocuments: false,
  generates: {
    [process.env.ZHIKU_CODEGEN_OUT ?? "src/gql/"]: {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: { documentMode: "string", scalars: { JSON: "unknown" }, enumsAsTypes: true, useTypeImports: true },
    },
  },
};
export default config;
