"""Wennuan (问暖): the service and operations platform of a district-heating company."""
