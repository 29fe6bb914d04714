"""Household search by account number, phone number and address fragment."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wennuan.grid.models import Household
from wennuan.grid.selectors import search_households
from wennuan.people.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(demo_city):
    return User.objects.get(username="agent")


def test_account_number_finds_exactly_one(agent):
    household = Household.objects.order_by("pk")[10]
    assert list(search_households(user=agent, query=household.account_number)) == [household]


def test_phone_with_country_code_and_dashes_finds_the_household(agent):
    household = Household.objects.exclude(phone="").order_by("pk")[5]
    spaced = f"+86 {household.phone[:3]}-{household.phone[3:7]}-{household.phone[7:]}"
    assert household in list(search_households(user=agent, query=spaced))


def test_second_phone_is_searched_too(agent):
    household = Household.objects.exclude(alt_phone="").order_by("pk").first()
    assert household in list(search_households(user=agent, query=household.alt_phone))


def test_address_fragment_with_complex_name_and_unit(agent):
    household = Household.objects.order_by("pk")[20]
    complex_name = household.building.complex.name
    query = f"{complex_name} {household.building.number} {household.entrance}单元{household.unit}室"
    assert list(search_households(user=agent, query=query)) == [household]


def test_fragment_of_a_complex_name_lists_its_households(agent):
    household = Household.objects.order_by("pk").first()
    name = household.building.complex.name
    results = list(search_households(user=agent, query=name[:-1]))
    assert results and all(name[:-1] in h.address for h in results)


def test_nothing_matches_an_unknown_fragment(agent):
    assert list(search_households(user=agent, query="不存在的地址")) == []


def test_single_result_opens_the_household_page(login, demo_city):
    household = Household.objects.order_by("pk").first()
    response = login("agent").get(reverse("grid:household_search"), {"q": household.account_number})
    assert response.status_code == 302
    assert response["Location"] == reverse("grid:household_detail", args=[household.pk])


def test_search_page_uses_the_same_queries_for_one_and_many_results(
    login, demo_city, django_assert_num_queries
):
    client = login("agent")
    many = Household.objects.order_by("pk").first().building.complex.name
    # session, user, complex names, households: the same four whatever the result size.
    with django_assert_num_queries(4):
        response = client.get(reverse("grid:household_search"), {"q": many})
    assert len(response.context["results"]) > 1
    with django_assert_num_queries(4):
        response = client.get(reverse("grid:household_search"), {"q": "不存在的地址"})
    assert response.context["results"] == []
