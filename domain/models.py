"""The vocabulary of the charter: enums shared by every other module."""

from enum import IntEnum, StrEnum


class CaseType(StrEnum):
    INCIDENT = "incident"
    ENQUIRY = "enquiry"
    SERVICE_REQUEST = "service_request"
    PROBLEM = "problem"
    CHANGE_REQUEST = "change_request"


class Priority(IntEnum):
    P1 = 1
    P2 = 2
    P3 = 3
    P4 = 4

    @property
    def label(self) -> str:
        return self.name


class Impact(IntEnum):
    CRITICAL = 1
    MAJOR = 2
    MODERATE = 3
    MINOR = 4


class Urgency(IntEnum):
    CRITICALLY_TIME_SENSITIVE = 1
    HIGH_VOLUME = 2
    NOT_TIME_SENSITIVE = 3
