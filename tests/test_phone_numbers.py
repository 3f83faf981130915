"""Phone fields accept numbers as people write them, and nothing else (issue 18)."""

import pytest
from wtforms.validators import ValidationError

from imi_web.phone_numbers import phone_number


class Field:
    def __init__(self, data):
        self.data = data


@pytest.mark.parametrize("value", ["+371 67 123 456", "(067) 123-456", "+44 20 7946 0958", "67123456", "", "  "])
def test_phone_numbers_people_write_are_accepted(app, value):
    phone_number(None, Field(value))


@pytest.mark.parametrize("value", ["call me", "+371 abc", "12", "+1 234 567 890 123 456 78", "67123456 ext. 2", "++371 1234"])
def test_anything_else_is_refused_in_the_readers_language(app, value):
    with app.test_request_context(headers={"Accept-Language": "lv"}):
        with pytest.raises(ValidationError) as refused:
            phone_number(None, Field(value))
        assert "tālruņa numuru" in str(refused.value)


def test_a_form_refuses_a_phone_of_words_beside_the_field(app, client, factory, db):
    nimic = factory.nimic()
    factory.user(nimic, username="nimic.admin", is_admin=True)
    factory.commit()
    client.login("nimic.admin", factory.PASSWORD)
    response = client.post("/authorities/new", {"official_name": "X", "phone": "call me"})
    assert response.status_code == 422
    assert 'id="phone-error"' in response.get_data(as_text=True)
