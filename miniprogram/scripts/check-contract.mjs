// The app against the API's contract: every GraphQL operation in src/ is validated against
// ../api/schema.graphql (or ZHIKU_SCHEMA) by graphql-codegen, into a scratch directory so a failing
// check leaves src/gql alone. A field the app uses that was removed or renamed, an argument whose
// type changed… fails here, naming it. The build (`npm run build:*`) also type-checks the pages
// against the generated types. Run by tests/miniprogram/test_contract.py.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const out = mkdtempSync(join(tmpdir(), "zhiku-mp-contract-"));
try {
  execFileSync(join("node_modules", ".bin", "graphql-codegen"), ["--config", "codegen.ts"], {
    stdio: "inherit",
    env: { ...process.env, ZHIKU_CODEGEN_OUT: out + "/" },
  });
  console.log(`小程序的 GraphQL 操作与 ${process.env.ZHIKU_SCHEMA ?? "../api/schema.graphql"} 一致 / the operations match the schema`);
} catch {
  console.error("错误：API 的 GraphQL 模式变了，小程序的操作与之不符（见上）/ the schema changed under the app (see above)");
  process.exit(1);
} finally {
  rmSync(out, { recursive: true, force: true });
}
