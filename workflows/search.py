"""The custom search attributes operators filter on (DESIGN §9), defined once.

None of them holds personal data: references, enum values, ids and instants only.
"""

from temporalio.common import SearchAttributeKey

CASE_REFERENCE = SearchAttributeKey.for_keyword("CaseReference")
CASE_TYPE = SearchAttributeKey.for_keyword("CaseType")
CASE_PRIORITY = SearchAttributeKey.for_keyword("CasePriority")
CASE_STATE = SearchAttributeKey.for_keyword("CaseState")
INTEGRATOR_ID = SearchAttributeKey.for_keyword("IntegratorId")
SCHOOL_URN = SearchAttributeKey.for_keyword("SchoolUrn")
PROBLEM_REFERENCE = SearchAttributeKey.for_keyword("ProblemReference")
RESPONSE_DUE = SearchAttributeKey.for_datetime("ResponseDue")
NEXT_ACTION_DUE = SearchAttributeKey.for_datetime("NextActionDue")
SLA_BREACHED = SearchAttributeKey.for_bool("SlaBreached")
# Change requests: integrators' votes, so product managers can sort by popularity.
VOTE_COUNT = SearchAttributeKey.for_int("VoteCount")

ALL = (
    CASE_REFERENCE,
    CASE_TYPE,
    CASE_PRIORITY,
    CASE_STATE,
    INTEGRATOR_ID,
    SCHOOL_URN,
    PROBLEM_REFERENCE,
    RESPONSE_DUE,
    NEXT_ACTION_DUE,
    SLA_BREACHED,
    VOTE_COUNT,
)


def cli_flags() -> list[str]:
    """`--search-attribute Name=Type` pairs for `temporal server start-dev`."""
    kinds = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "BOOL": "Bool", "INT": "Int"}
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={kinds[key.indexed_value_type.name]}"]
    return flags
