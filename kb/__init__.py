"""Knowledge-base projects: a directory that holds one company's knowledge (``zhiku.yaml``, ontology
extensions, vocabulary, org chart, approval processes, documents, FAQ, crawl sources, push rules), and
the one way it is loaded (``zhiku load DIR``). The demo company is one such directory.

    project = open_project(Path("acme"))          # kb.project: zhiku.yaml read and checked
    report = load_project(store, project, ...)    # kb.load: SHACL gate first, then the writes

See ``docs/knowledge-base.md`` for the format.
"""
