// GraphiQL served by Zhiku itself (GET /graphql in a browser): no CDN, works offline. The token is
// the console's (same origin) or pasted into GraphiQL's headers tab.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import "./graphiql.css";
import { loadSession } from "./lib/auth";

const session = loadSession();
const fetcher = createGraphiQLFetcher({ url: "/graphql" });
const headers = session ? JSON.stringify({ Authorization: `Bearer ${session.token}` }, null, 2) : undefined;
const query = [
  "# 知库 GraphQL。令牌：在控制台（/）登录后自动带上；或把 `zhiku token E1030` 的输出",
  '# 填进 Headers：{"Authorization": "Bearer …"}。/ Sign in at / or paste a token into Headers.',
  "{",
  "  me { id name roles }",
  "}",
  "",
].join("\n");

createRoot(document.getElementById("graphiql")!).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultHeaders={headers} defaultQuery={query} />
  </StrictMode>,
);
