"""The GraphQL schema (Strawberry), merged from one module per resource — each holds its types and its
Query, Mutation and Subscription fields: :mod:`~api.graphql.entities`, :mod:`~api.graphql.search`,
:mod:`~api.graphql.chat`, :mod:`~api.graphql.approvals`, :mod:`~api.graphql.tickets`,
:mod:`~api.graphql.analytics`, :mod:`~api.graphql.review`, :mod:`~api.graphql.admin` and
:mod:`~api.graphql.miniprogram`. Every resolver
authenticates the caller and checks roles, and document access scopes filter every answer, hit, entity and
neighbourhood.

Hardening is on from the start: parser and validation caches, depth/alias/token limits, no
batching; in production no introspection, no field suggestions and no IDE. Errors reach clients as
GraphQL errors with a stable ``extensions.code`` and a Chinese message — never a traceback.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from api.graphql.admin import AdminMutation, AdminQuery
from api.graphql.analytics import AnalyticsQuery
from api.graphql.approvals import ApprovalMutation, ApprovalQuery, ApprovalSubscription
from api.graphql.chat import ChatMutation, ChatQuery
from api.graphql.console import ConsoleQuery
from api.graphql.cost import QueryCostLimit, Turns
from api.graphql.crawls import CrawlMutation, CrawlQuery
from api.graphql.documents import DocumentMutation, DocumentQuery
from api.graphql.entities import ALL_ENTITY_TYPES, entity_query, entity_type_enum
from api.graphql.errors import ZhikuErrors
from api.graphql.gaps import GapMutation, GapQuery
from api.graphql.guards import InputGuard, NoNulStrings, SafeParserCache
from api.graphql.miniprogram import MiniProgramMutation, MiniProgramQuery
from api.graphql.ontology import OntologyQuery
from api.graphql.review import ReviewMutation, ReviewQuery
from api.graphql.search import SearchQuery, SearchSubscription
from api.graphql.system import SystemQuery
from api.graphql.tickets import TicketMutation, TicketQuery
from ontology.model import Ontology, configured_ontology
from zhiku.settings import Environment, Settings

__all__ = ["build_schema"]


def build_schema(settings: Settings, ontology: Ontology | None = None) -> strawberry.Schema:
    """The schema with the limits and production switches the settings ask for. Enums derived from the
    ontology (``EntityType``) come from ``ontology`` — the one the app loaded, extensions (the loaded
    projects' and ``ZHIKU_ONTOLOGY_DIR``) included; without it, the ontology the settings name."""
    if ontology is None:
        ontology = configured_ontology(settings)
    # One root type per operation, its fields grouped by resource in this order.
    query = merge_types(
        "Query",
        (
            entity_query(entity_type_enum(ontology)),
            SearchQuery,
            ChatQuery,
            ApprovalQuery,
            TicketQuery,
            AnalyticsQuery,
            ReviewQuery,
            DocumentQuery,
            CrawlQuery,
            OntologyQuery,
            GapQuery,
            ConsoleQuery,
            AdminQuery,
            MiniProgramQuery,
            SystemQuery,
        ),
    )
    mutation = merge_types(
        "Mutation",
        (
            ChatMutation,
            ApprovalMutation,
            TicketMutation,
            ReviewMutation,
            DocumentMutation,
            CrawlMutation,
            GapMutation,
            AdminMutation,
            MiniProgramMutation,
        ),
    )
    subscription = merge_types("Subscription", (SearchSubscription, ApprovalSubscription))
    production = settings.env is Environment.production
    # Factories, not instances: a fresh extension per request (the parser and validation caches
    # themselves live at module level in Strawberry and are shared across requests).
    # The depth and alias limits are validation rules. Built once here: a rule class created per
    # request would change the ValidationCache's key and turn the cache off (measured: ~7 ms of AST
    # walking per request).
    rules = [
        *QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
        NoNulStrings,
    ]
    turns = Turns(settings.graphql_heavy_at_once)  # for requests costing a tenth of the limit or more
    extensions: list[Any] = [
        ZhikuErrors,
        lambda: AddValidationRules(rules),
        lambda: SafeParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
        InputGuard,  # after ValidationCache: adds to the errors it sets
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        # after validation, with the request's variables (why not a validation rule: see cost.py)
        lambda: QueryCostLimit(settings.graphql_max_cost, heavy=settings.graphql_max_cost // 10, turns=turns),
    ]
    if production:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(ALL_ENTITY_TYPES),
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production),
    )
