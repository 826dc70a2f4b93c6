from __future__ import annotations

import numpy as np

from enrollment.models import Enrollment
from enrollment.selectors import enrollment_active_ids, enrollment_active_voiceprint
from selective_speaker.speech.voiceprint import combine_voiceprints
from tests.factories import EnrollmentFactory


def test_it_has_no_voiceprint_without_a_ready_enrollment(user):
    EnrollmentFactory(user=user, status=Enrollment.Status.REJECTED)
    EnrollmentFactory(user=user, status=Enrollment.Status.PENDING, voiceprint=None)
    assert enrollment_active_voiceprint(user=user) is None


def test_it_uses_the_newest_ready_enrollment(user, other_user):
    EnrollmentFactory(user=user)
    newest = EnrollmentFactory(user=user)
    EnrollmentFactory(user=user, status=Enrollment.Status.REJECTED)
    EnrollmentFactory(user=other_user)
    active = enrollment_active_voiceprint(user=user)
    assert active.enrollments == [newest]
    np.testing.assert_array_equal(active.vector, newest.voiceprint_array())
    assert enrollment_active_ids(user=user) == {newest.id}


def test_it_combines_the_newest_enrollments_weighted_by_speech(user, settings):
    settings.VOICEPRINT_COMBINE_LAST = 2
    EnrollmentFactory(user=user, speech_ms=30_000)
    older = EnrollmentFactory(user=user, speech_ms=20_000)
    newer = EnrollmentFactory(user=user, speech_ms=10_000)
    active = enrollment_active_voiceprint(user=user)
    assert active.enrollments == [newer, older]
    expected = combine_voiceprints([newer.voiceprint_array(), older.voiceprint_array()], [10_000, 20_000])
    np.testing.assert_allclose(active.vector, expected)
    assert np.isclose(np.linalg.norm(active.vector), 1.0)


def test_it_never_mixes_voiceprints_of_different_models(user, settings):
    settings.VOICEPRINT_COMBINE_LAST = 3
    EnrollmentFactory(user=user)
    newest = EnrollmentFactory(user=user, model_id="another-model")
    assert enrollment_active_voiceprint(user=user).enrollments == [newest]
