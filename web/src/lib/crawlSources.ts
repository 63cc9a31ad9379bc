// The fields of a crawl source that the admin overview and the knowledge engineers' sources page both
// show: one fragment, so the two pages cannot drift apart.
import { graphql } from "../gql";

export const CrawlSourceFields = graphql(`
  fragment CrawlSourceFields on CrawlSource {
    name
    schedule
    lastRunAt
    outcome
    pages
    new
    changed
    removed
    errors
    nextRunAt
    recentErrors
  }
`);
