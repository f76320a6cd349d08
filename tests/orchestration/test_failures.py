import dagster as dg
import pytest

from orchestration.failures import step_failure


class Down(Exception):
    pass


class Refused(Exception):
    pass


def test_an_outage_fails_the_step_for_its_retry_policy() -> None:
    with pytest.raises(dg.Failure) as caught, step_failure(retried=Down, final=Refused):
        raise Down("service down")
    assert caught.value.description == "service down"
    assert caught.value.allow_retries is not False


def test_a_final_error_fails_the_step_for_good() -> None:
    with pytest.raises(dg.Failure) as caught, step_failure(final=Refused):
        raise Refused("bad token")
    assert caught.value.description == "bad token"
    assert caught.value.allow_retries is False


def test_other_errors_pass_through() -> None:
    with pytest.raises(KeyError), step_failure(retried=Down, final=Refused):
        raise KeyError("other")
