"""The owner's own answers override the voice match (attribution.apply_answers)."""

import numpy as np

from selective_speaker.speech.attribution import Attribution, apply_answers
from selective_speaker.speech.types import Decision, Region, Span


def decided(*regions):
    regions = [Region(s, e, sim, d) for s, e, sim, d in regions]
    return Attribution(
        owner=[Span(r.start_ms, r.end_ms) for r in regions if r.decision == Decision.OWNER],
        uncertain=[Span(r.start_ms, r.end_ms) for r in regions if r.decision == Decision.UNCERTAIN],
        regions=regions,
        frame_scores=np.zeros(0),
    )


ATT = decided(
    (0, 2000, 0.7, Decision.OWNER),
    (2000, 4000, 0.57, Decision.UNCERTAIN),
    (5000, 7000, 0.4, Decision.OTHER),
)


def test_it_changes_nothing_without_answers():
    att, owner_ms, other_ms = apply_answers(ATT)
    assert (att.regions, att.owner, att.uncertain, owner_ms, other_ms) == (ATT.regions, ATT.owner, ATT.uncertain, 0, 0)


def test_it_makes_a_confirmed_uncertain_stretch_the_owners():
    att, owner_ms, other_ms = apply_answers(ATT, owner=[Span(2000, 4000)])
    assert att.owner == [Span(0, 4000)] and att.uncertain == []
    assert (owner_ms, other_ms) == (2000, 0)
    assert [r.similarity for r in att.regions] == [0.7, 0.57, 0.4]  # the scores stay in the record


def test_it_drops_what_the_owner_denied_even_when_it_matched():
    att, owner_ms, other_ms = apply_answers(ATT, other=[Span(1000, 3000)])
    assert att.owner == [Span(0, 1000)] and att.uncertain == [Span(3000, 4000)]
    assert (owner_ms, other_ms) == (0, 2000)
    assert [(r.start_ms, r.end_ms, r.decision) for r in att.regions] == [
        (0, 1000, Decision.OWNER),
        (1000, 2000, Decision.OTHER),
        (2000, 3000, Decision.OTHER),
        (3000, 4000, Decision.UNCERTAIN),
        (5000, 7000, Decision.OTHER),
    ]


def test_it_lets_not_me_win_where_answers_overlap_and_ignores_silence():
    att, owner_ms, other_ms = apply_answers(ATT, owner=[Span(2000, 4500)], other=[Span(3500, 6000)])
    assert att.owner == [Span(0, 3500)] and att.uncertain == []
    assert (owner_ms, other_ms) == (1500, 1500)  # 4000–5000 is silence: nobody's speech
