"""Sites: an observed place, target and country map to the modelled site they name."""

import pytest

from escalation.model.agents import SITES
from escalation.model.sites import site_index


@pytest.mark.parametrize(
    ("location", "target", "country", "site"),
    [
        ("Ain al-Asad", "US forces", "Iraq", "Ain al-Asad air base"),
        ("AIN AL-ASAD AIR BASE", "", "Iraq", "Ain al-Asad air base"),  # case does not matter
        ("Erbil airport", "coalition forces", "Iraq", "Erbil airport"),
        ("Baghdad", "US embassy", "Iraq", "Baghdad embassy"),  # named in the target
        ("Baghdad embassy (Green Zone)", "", "Iraq", "Baghdad embassy"),
        ("Baghdad airport (Victory base)", "", "Iraq", "Baghdad airport"),
        ("Baghdad", "Camp Victory", "Iraq", "Baghdad airport"),
        ("Balad air base", "US contractors", "Iraq", "Balad air base"),
        ("al-Omar oil field", "US forces", "Syria", "al-Omar oil field"),
        ("Conoco gas field", "", "Syria", "Conoco gas field"),
        ("al-Tanf", "", "Syria", "al-Tanf garrison"),
        ("Diwaniyah province", "coalition logistics convoy", "Iraq", "logistics convoy"),
        ("Nasiriyah", "convoy of Iraqi contractors", "Iraq", "logistics convoy"),
        # an unlisted place stands for a site with US personnel in its country
        ("Harir air base (Bashur)", "US forces", "Iraq", "Ain al-Asad air base"),
        ("Deir ez-Zor", "US forces", "Syria", "al-Omar oil field"),
        # nothing names US personnel: the site without them
        ("Kuwait City", "", "Kuwait", "logistics convoy"),
    ],
)
def test_an_observed_place_maps_to_the_site_it_names(location, target, country, site):
    assert SITES[site_index(location, target, country)].name == site


def test_the_green_zone_alone_does_not_name_the_us_embassy():
    """The PM's residence is in the Green Zone too (the 7 November 2021 drones)."""
    site = site_index(
        "Baghdad Green Zone (PM residence)", "Iraqi PM Kadhimi's residence (Green Zone)", "Iraq"
    )
    assert SITES[site].name != "Baghdad embassy"
