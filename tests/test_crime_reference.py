import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from cases.models import normalise_crime_reference
from cases.services import case_create
from tests.factories import CaseFactory


@pytest.mark.parametrize(
    "given",
    ["NS/01234/26", "ns/01234/26", "NS 01234 26", " ns-01234-26 ", "NS01234/26"],
)
def test_it_normalises_spacing_slashes_dashes_and_case(given):
    assert normalise_crime_reference(given) == "NS0123426"


def test_it_keeps_the_reference_as_given_and_looks_it_up_normalised(force, officer):
    case = case_create(
        force=force,
        crime_reference=" ns/01234/26 ",
        offence_category="burglary",
        victim_description="Burglary at your home",
        actor=officer,
    )
    assert case.crime_reference == "ns/01234/26"
    assert case.crime_reference_normalised == "NS0123426"


def test_it_refuses_the_same_reference_twice_in_one_force(force, officer):
    CaseFactory(force=force, crime_reference="NS/01234/26")
    with pytest.raises(ValidationError) as error:
        case_create(
            force=force,
            crime_reference="ns 01234 26",
            offence_category="burglary",
            victim_description="Burglary",
            actor=officer,
        )
    assert error.value.message_dict["crime_reference"] == [
        "This force already has a case with this crime reference number."
    ]


def test_the_database_refuses_a_duplicate_reference_in_one_force(force):
    CaseFactory(force=force, crime_reference="NS/01234/26")
    with pytest.raises(IntegrityError):
        CaseFactory(force=force, crime_reference="NS-01234-26")


def test_it_allows_the_same_reference_in_two_forces(force, other_force):
    CaseFactory(force=force, crime_reference="NS/01234/26")
    CaseFactory(force=other_force, crime_reference="NS/01234/26")


def test_it_refuses_a_reference_in_another_format_with_an_example(force, officer):
    with pytest.raises(ValidationError) as error:
        case_create(
            force=force,
            crime_reference="12345",
            offence_category="burglary",
            victim_description="Burglary",
            actor=officer,
        )
    messages = error.value.message_dict["crime_reference"]
    assert "for example AB/01234/26" in messages[0]
