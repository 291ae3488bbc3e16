"""An error's status fits in trailing metadata however much the request got wrong."""

from google.rpc import error_details_pb2

from services.chassis.errors import FieldViolation, InvalidArgument, NotFound
from services.chassis.interceptors import MAX_ERROR_MESSAGE_LENGTH, MAX_VIOLATIONS, status_for


def test_a_huge_id_in_a_message_is_shortened() -> None:
    status = status_for(NotFound(f"no objective {'x' * 5000}"))
    assert len(status.message) == MAX_ERROR_MESSAGE_LENGTH
    assert status.message.startswith("no objective xxx")


def test_thousands_of_violations_send_the_first_ones_and_say_how_many() -> None:
    violations = [FieldViolation(f"readings[{index}].value", "must be finite") for index in range(5000)]
    status = status_for(InvalidArgument("nothing was recorded", violations))
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert [violation.field for violation in bad_request.field_violations] == [
        f"readings[{index}].value" for index in range(MAX_VIOLATIONS)
    ]
    assert "5000 problems" in status.message
    assert len(status.SerializeToString()) < 4096
