import pytest

from services.chassis.errors import InvalidArgument
from services.chassis.field_mask import checked_paths
from services.chassis.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, page_request


def test_a_token_continues_the_query_that_made_it() -> None:
    first = page_request(2, "", {"tenant": "a", "unit": "u1"})
    token = first.next_token(["x", "key-y"], str)
    following = page_request(2, token, {"tenant": "a", "unit": "u1"})
    assert following.after == "key-y"


def test_a_short_page_is_the_last() -> None:
    assert page_request(3, "", {"q": 1}).next_token(["only"], str) == ""


@pytest.mark.parametrize("other_query", [{"tenant": "b", "unit": "u1"}, {"tenant": "a", "unit": "u2"}])
def test_a_token_from_another_query_or_tenant_is_refused(other_query: dict[str, str]) -> None:
    token = page_request(1, "", {"tenant": "a", "unit": "u1"}).next_token(["x"], str)
    with pytest.raises(InvalidArgument) as refused:
        page_request(1, token, other_query)
    assert refused.value.violations[0].field == "page_token"


@pytest.mark.parametrize("garbage", ["not-a-token", "e30", "!!!!"])
def test_a_garbage_token_is_refused(garbage: str) -> None:
    with pytest.raises(InvalidArgument):
        page_request(1, garbage, {"q": 1})


def test_page_size_defaults_caps_and_refuses_negatives() -> None:
    assert page_request(0, "", {}).size == DEFAULT_PAGE_SIZE
    assert page_request(10**6, "", {}).size == MAX_PAGE_SIZE
    with pytest.raises(InvalidArgument):
        page_request(-1, "", {})


def test_field_masks_name_only_updatable_fields() -> None:
    assert checked_paths(["name"], ["name", "code"]) == {"name"}
    with pytest.raises(InvalidArgument) as unknown:
        checked_paths(["name", "path"], ["name", "code"])
    assert [v.description.split()[0] for v in unknown.value.violations] == ["path"]
    with pytest.raises(InvalidArgument):
        checked_paths([], ["name"])
