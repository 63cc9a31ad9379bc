// GraphQL types from the API's contract (api/schema.graphql): `npm run codegen` writes src/gql/.
// The build runs it first, so a schema change that breaks a page's query fails `make web`.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../api/schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: { scalars: { JSON: "unknown" }, enumsAsTypes: true, useTypeImports: true },
    },
  },
};
export default config;
