// The review queue's orphaned entities: only documents since deleted mentioned them. They stay in the
// graph; "keep" settles one (recorded), and a new document mentioning it takes it off the list too.
import { Alert, Button, Table, Typography } from "antd";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { errorText } from "../lib/client";
import { useT } from "../lib/i18n";

export const OrphansQuery = graphql(`
  query OrphanEntities {
    orphanEntities(first: 100) {
      id
      name
      type
      document
      since
    }
  }
`);

const KeepMutation = graphql(`
  mutation KeepOrphan($id: ID!) {
    keepOrphan(id: $id) {
      id
      action
      target
    }
  }
`);

export function useOrphanCount(): number {
  const [{ data }] = useQuery({ query: OrphansQuery });
  return data?.orphanEntities.length ?? 0;
}

export default function Orphans() {
  const { t } = useT();
  const [{ data, fetching, error }, refetch] = useQuery({ query: OrphansQuery });
  const [keepState, keep] = useMutation(KeepMutation);
  return (
    <div>
      <Typography.Paragraph type="secondary">{t("review.orphanHelp")}</Typography.Paragraph>
      {(error || keepState.error) && <Alert type="error" showIcon title={t("common.error", { text: errorText(error ?? keepState.error) })} />}
      <Table
        rowKey="id"
        size="small"
        data-testid="orphans"
        loading={fetching && !data}
        dataSource={data?.orphanEntities ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        columns={[
          { title: t("review.name"), key: "name", render: (_, o) => <Link to={`/kb/graph?id=${encodeURIComponent(o.id)}`}>{o.name}</Link> },
          { title: t("review.type"), dataIndex: "type", width: 120 },
          { title: t("review.orphanFrom"), dataIndex: "document", width: 200 },
          { title: t("review.orphanSince"), dataIndex: "since", width: 200 },
          {
            title: t("review.actions"),
            key: "keep",
            width: 100,
            render: (_, o) => (
              <Button size="small" onClick={async () => { const r = await keep({ id: o.id }); if (!r.error) refetch({ requestPolicy: "network-only" }); }}>
                {t("review.keep")}
              </Button>
            ),
          },
        ]}
      />
    </div>
  );
}
