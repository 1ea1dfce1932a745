"""The dental comparison core: every compatibility rule, the chart checks, and the ranking on a
simulated population of 500 charts with realistic treatment between the AM and PM dates."""

from __future__ import annotations

import pytest

from vestige.dvi import simulate
from vestige.osteology import odontology as o
from vestige.osteology.odontology import ChartError, ToothState, Verdict

C, E, X, N = Verdict.CONCORDANT, Verdict.EXPLAINABLE, Verdict.INCOMPATIBLE, Verdict.NOT_COMPARED


def t(state, **kw):
    return {"state": state, **kw}


# (AM entry, PM entry, verdict): the rules as an odontologist states them (INTERPOL DVI Guide,
# Annexe 7; Pretty & Sweet 2001), written out by hand, independent of the RULES table.
CASES = [
    # the three rules the issue names
    (t("filled", surfaces="MO"), t("sound"), X),  # AM filled / PM sound: a filling is never removed
    (t("sound"), t("filled", surfaces="MO"), E),  # AM sound / PM filled: later treatment
    (t("missing"), t("sound"), X),  # AM missing / PM present
    (t("missing"), t("filled", surfaces="O"), X),
    (t("missing"), t("crown"), X),
    # same state on both
    (t("sound"), t("sound"), C),
    (t("crown"), t("crown"), C),
    (t("implant"), t("implant"), C),
    (t("bridge"), t("bridge"), C),
    (t("missing"), t("missing_am"), C),
    (t("missing"), t("missing_unknown"), C),
    (t("unerupted"), t("unerupted"), C),
    (t("caries", surfaces="O"), t("caries", surfaces="O"), C),
    # fillings: surfaces only grow, the material may be replaced
    (t("filled", surfaces="MO"), t("filled", surfaces="MO"), C),
    (t("filled", surfaces="MO", material="amalgam"), t("filled", surfaces="MO", material="composite"), C),
    (t("filled", surfaces="MO"), t("filled", surfaces="MOD"), E),
    (t("filled", surfaces="MOD"), t("filled", surfaces="MO"), X),
    (t("filled", surfaces="MO"), t("filled", surfaces="DL"), X),
    (t("filled", surfaces="MO"), t("caries", surfaces="MO"), E),  # a lost filling leaves a cavity
    (t("filled"), t("crown"), E),
    (t("filled"), t("missing_am"), E),
    # caries does not heal
    (t("caries"), t("sound"), X),
    (t("caries"), t("filled", surfaces="O"), E),
    # crowns, bridges, implants are not undone
    (t("crown"), t("filled", surfaces="O"), X),
    (t("crown"), t("sound"), X),
    (t("crown"), t("implant"), E),
    (t("bridge"), t("sound"), X),
    (t("bridge"), t("crown"), E),
    (t("implant"), t("sound"), X),
    (t("implant"), t("crown"), X),
    (t("missing"), t("implant"), E),
    (t("missing"), t("bridge"), E),
    # loss after death says nothing — unless the tooth was already gone in life
    (t("sound"), t("missing_pm"), E),
    (t("crown"), t("missing_pm"), E),
    (t("missing"), t("missing_pm"), X),
    (t("sound"), t("missing_am"), E),  # extracted after the record
    # eruption goes one way
    (t("unerupted"), t("sound"), E),
    (t("sound"), t("unerupted"), X),
    (t("missing"), t("unerupted"), E),  # an impacted tooth charted as absent
    # root canal fillings stay
    (t("filled", surfaces="O", root_canal=True), t("filled", surfaces="O"), X),
    (t("crown", root_canal=True), t("crown"), X),
    (t("filled", surfaces="O"), t("filled", surfaces="O", root_canal=True), E),
    (t("crown", root_canal=True), t("crown", root_canal=True), C),
    (t("crown", root_canal=True), t("missing_am"), E),
    # not compared
    (t("crown"), t("not_recoverable"), N),
]


@pytest.mark.parametrize(("am", "pm", "verdict"), CASES)
def test_each_compatibility_rule(am, pm, verdict):
    am = o.normalise_tooth("16", am, side="am")
    pm = o.normalise_tooth("16", pm, side="pm")
    got = o.compare_tooth("16", am, pm)
    assert got.verdict == verdict, got.reason
    assert got.reason


def test_every_pair_of_states_has_a_rule():
    for a in o.AM_STATES:
        for p in o.PM_STATES - {ToothState.NOT_RECOVERABLE}:
            if (a, p) != (ToothState.FILLED, ToothState.FILLED):
                assert (a, p) in o.RULES, (a, p)


def test_points_rank_rare_shared_features_above_common_ones_and_incompatibility_costs():
    sound = o.compare_tooth("16", t("sound"), t("sound")).points
    filled = o.compare_tooth("16", t("filled", surfaces="MOD"), t("filled", surfaces="MOD")).points
    crown_rc = o.compare_tooth("16", t("crown", root_canal=True), t("crown", root_canal=True)).points
    assert 0 < sound < filled < crown_rc
    assert o.compare_tooth("16", t("filled", surfaces="O"), t("sound")).points == -o.INCOMPATIBLE_POINTS
    assert o.compare_tooth("16", t("sound"), t("filled", surfaces="O")).points == o.EXPLAINABLE_POINTS
    assert o.compare_tooth("16", t("sound"), t("missing_pm")).points == 0.0  # loss after death: neutral


def test_deciduous_teeth_are_shed_and_never_come_back():
    # A child's AM chart with the deciduous second molar 55 filled; PM the permanent 15 is there.
    am = o.normalise_chart({"55": t("filled", surfaces="O"), "16": t("sound")}, side="am")
    pm = o.normalise_chart({"15": t("sound"), "16": t("sound")}, side="pm")
    c = o.compare(am, pm)
    by = {x.tooth: x for x in c.teeth}
    assert by["55"].verdict == E and "successor" in by["55"].reason
    # A permanent 15 recorded AM cannot become the deciduous 55 PM.
    c = o.compare(o.normalise_chart({"15": t("sound")}, side="am"), o.normalise_chart({"55": t("sound")}, side="pm"))
    assert [x.verdict for x in c.teeth if x.tooth == "15"] == [X]


def test_chart_checks_name_the_tooth_and_the_field():
    with pytest.raises(ChartError, match="'19' is not an FDI tooth"):
        o.normalise_chart({"19": t("sound")}, side="am")
    with pytest.raises(ChartError, match="tooth 16: state 'drilled'") as e:
        o.normalise_chart({"16": t("drilled")}, side="pm")
    assert (e.value.tooth, e.value.field) == ("16", "state")
    with pytest.raises(ChartError, match="surface 'X'"):
        o.normalise_chart({"16": t("filled", surfaces="MX")}, side="am")
    with pytest.raises(ChartError, match="only used in a post-mortem chart"):
        o.normalise_chart({"16": t("missing_pm")}, side="am")
    with pytest.raises(ChartError, match="root canal filling needs a tooth"):
        o.normalise_chart({"16": t("missing", root_canal=True)}, side="am")
    with pytest.raises(ChartError, match="material 'wood'"):
        o.normalise_chart({"16": t("filled", material="wood")}, side="am")
    with pytest.raises(ChartError, match="surfaces are given for fillings"):
        o.normalise_chart({"16": t("crown", surfaces="O")}, side="am")
    # Aliases are read: incisal → O, vestibular → B, palatal → L; order is canonical.
    assert o.normalise_tooth("11", t("filled", surfaces="p, i v"), side="am")["surfaces"] == "OBL"
    full = o.normalise_chart({"16": t("crown")}, side="am", others_sound=True)
    assert len(full) == 32 and full["11"] == {"state": "sound"} and full["16"]["state"] == "crown"


def test_ranking_of_500_simulated_charts_puts_the_right_person_first_in_90_percent():
    """500 people: AM record, then 0.25–15 years of treatment, then the PM chart of the body (lost
    teeth, an unrecoverable jaw, charting errors). 'Usable': both charts hold an informative tooth."""
    cases = simulate.population(500, seed=2026)
    ams = {c.person: o.normalise_chart(c.am, side="am") for c in cases}
    first = usable = 0
    for c in cases:
        pm = o.normalise_chart(c.pm, side="pm")
        if not (o.usable(pm) and o.usable(ams[c.person])):
            continue
        usable += 1
        first += o.rank(pm, ams, top=1)[0].key == c.person
    assert usable >= 450
    assert first / usable >= 0.90, (first, usable)


def test_rank_orders_by_score_then_incompatibility_and_builds_tables_only_for_the_top():
    pm = o.normalise_chart({"16": t("crown", root_canal=True), "26": t("filled", surfaces="MO"),
                            "36": t("missing_am")}, side="pm")
    ams = {
        "right": o.normalise_chart({"16": t("crown", root_canal=True), "26": t("filled", surfaces="MO"),
                                    "36": t("missing")}, side="am"),
        "later-treated": o.normalise_chart({"16": t("filled", surfaces="O"), "26": t("sound")}, side="am"),
        "wrong": o.normalise_chart({"16": t("sound"), "26": t("crown")}, side="am"),
    }
    ranked = o.rank(pm, ams)
    assert [r.key for r in ranked] == ["right", "later-treated", "wrong"]
    assert ranked[0].comparison.counts["concordant"] == 3 and ranked[-1].comparison.counts["incompatible"] == 1
    # The fast path and the full comparison agree on every figure.
    for r in ranked:
        assert o._fast(o._keyed(ams[r.key]), o._keyed(pm))[0] == r.comparison.score


def test_surfaces_written_in_ukrainian_are_read():
    """Issue 29, part 3: a Ukrainian chart writes the surfaces in Cyrillic — медіальна, оклюзійна
    (жувальна), дистальна, вестибулярна (щічна, губна), лінгвальна (язикова), піднебінна."""
    assert o.normalise_surfaces("МОД") == "MOD"
    assert o.normalise_surfaces("ж, щ") == "OB" and o.normalise_surfaces("Г П") == "BL"
    assert o.normalise_surfaces("дя") == "DL"
    # «Р» means the incisal edge to one examiner and a Latin P typed in Cyrillic to another: said
    with pytest.raises(ChartError, match="surface 'Р'"):
        o.normalise_surfaces("МР", "11")
