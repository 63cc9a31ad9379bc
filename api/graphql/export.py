"""Write the GraphQL contract (``api/schema.graphql``) from the code; a test fails when they drift.

python -m api.graphql.export          # after changing the schema, then commit the file
"""

from __future__ import annotations

from pathlib import Path

from api.graphql.schema import build_schema
from ontology.model import load_ontology
from zhiku.settings import load_settings

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema.graphql"


def render() -> str:
    # The contract is the core's (and ZHIKU_ONTOLOGY_DIR's): not what projects loaded into a data dir add.
    settings = load_settings()
    return build_schema(settings, load_ontology(extra_dir=settings.ontology_dir)).as_str() + "\n"


def main() -> None:
    SCHEMA_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")


if __name__ == "__main__":
    main()
