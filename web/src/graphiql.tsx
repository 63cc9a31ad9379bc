// GraphiQL served by Zhiku itself (GET /graphql in a browser): no CDN, works offline. The token is
// the console's (same origin) or pasted into GraphiQL's headers tab.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import { loadSession } from "./lib/auth";

const session = loadSession();
const fetcher = createGraphiQLFetcher({ url: "/graphql" });
const headers = session ? JSON.stringify({ Authorization: `Bearer ${session.token}` }, null, 2) : '{\n  "Authorization": "Bearer <zhiku token E1030>"\n}';

createRoot(document.getElementById("graphiql")!).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultHeaders={headers} defaultQuery={"{\n  me { id name roles }\n}\n"} />
  </StrictMode>,
);
