from __future__ import annotations

import numpy as np

from enrollment.models import Enrollment, VoiceSample
from enrollment.selectors import enrollment_active_ids, enrollment_active_voiceprint
from selective_speaker.speech.voiceprint import combine_voiceprints
from tests.factories import EnrollmentFactory, VoiceSampleFactory


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


# --- owner samples and negatives from staff verdicts ------------------------------------------


def test_it_adds_owner_samples_to_the_voiceprint_weighted_by_their_duration(user, settings):
    settings.VOICEPRINT_SAMPLES_MAX_SHARE = 0.3
    enrollment = EnrollmentFactory(user=user, speech_ms=12_000)
    short, long = VoiceSampleFactory(user=user, duration_ms=1000), VoiceSampleFactory(user=user, duration_ms=3000)
    active = enrollment_active_voiceprint(user=user)
    expected = combine_voiceprints(
        [enrollment.voiceprint_array(), long.embedding_array(), short.embedding_array()], [12_000, 3000, 1000]
    )
    np.testing.assert_allclose(active.vector, expected, atol=1e-6)
    assert active.enrollments == [enrollment]
    assert active.owner_samples == 2 and active.samples_share == round(4000 / 16_000, 4)


def test_it_never_lets_samples_outweigh_the_enrollment(user, settings):
    # 20 s of samples against 12 s of enrollment speech: capped at 30 % of the whole weight
    settings.VOICEPRINT_SAMPLES_MAX_SHARE = 0.3
    enrollment = EnrollmentFactory(user=user, speech_ms=12_000)
    samples = VoiceSampleFactory.create_batch(10, user=user, duration_ms=2000)
    active = enrollment_active_voiceprint(user=user)
    given = 12_000 * 0.3 / 0.7
    expected = combine_voiceprints(
        [enrollment.voiceprint_array()] + [s.embedding_array() for s in reversed(samples)],
        [12_000] + [given / 10] * 10,
    )
    np.testing.assert_allclose(active.vector, expected, atol=1e-6)
    assert active.samples_share == 0.3
    assert active.vector @ enrollment.voiceprint_array() > 0.8


def test_it_uses_only_samples_and_negatives_of_the_voiceprints_model(user, other_user):
    enrollment = EnrollmentFactory(user=user)
    VoiceSampleFactory(user=user, model_id="ecapa-256")
    VoiceSampleFactory(user=user, kind=VoiceSample.Kind.OTHER, model_id="ecapa-256")
    VoiceSampleFactory(user=other_user)
    VoiceSampleFactory(user=other_user, kind=VoiceSample.Kind.OTHER)
    active = enrollment_active_voiceprint(user=user)
    np.testing.assert_array_equal(active.vector, enrollment.voiceprint_array())
    assert active.owner_samples == 0 and active.negatives.shape == (0, 192)


def test_it_learns_nothing_from_samples_when_turned_off(user, settings):
    settings.VOICEPRINT_SAMPLES_MAX_SHARE = 0.0
    enrollment = EnrollmentFactory(user=user)
    VoiceSampleFactory(user=user)
    active = enrollment_active_voiceprint(user=user)
    np.testing.assert_array_equal(active.vector, enrollment.voiceprint_array())
    assert active.owner_samples == 0 and active.samples_share == 0.0


def test_it_exposes_the_other_voices_as_negatives(user):
    EnrollmentFactory(user=user)
    first = VoiceSampleFactory(user=user, kind=VoiceSample.Kind.OTHER)
    second = VoiceSampleFactory(user=user, kind=VoiceSample.Kind.OTHER)
    VoiceSampleFactory(user=user)  # an owner sample is no negative
    active = enrollment_active_voiceprint(user=user)
    np.testing.assert_array_equal(active.negatives, np.stack([second.embedding_array(), first.embedding_array()]))
    assert active.negatives.dtype == np.float32


def test_it_finds_the_active_enrollments_without_reading_samples(user, django_assert_num_queries):
    newest = EnrollmentFactory(user=user)
    VoiceSampleFactory(user=user)
    with django_assert_num_queries(1):
        assert enrollment_active_ids(user=user) == {newest.id}


# --- one voiceprint per device ------------------------------------------------------------------


def test_it_judges_a_device_with_its_own_enrollment(user):
    general = EnrollmentFactory(user=user)
    pendant = EnrollmentFactory(user=user, device_id="pendant-1")
    EnrollmentFactory(user=user, device_id="phone")  # newest, but another device's
    active = enrollment_active_voiceprint(user=user, device_id="pendant-1")
    assert (active.enrollments, active.device_id) == ([pendant], "pendant-1")
    np.testing.assert_array_equal(active.vector, pendant.voiceprint_array())
    # a device without an enrollment of its own: the owner's device-independent one
    assert enrollment_active_voiceprint(user=user, device_id="watch").enrollments == [general]
    assert enrollment_active_voiceprint(user=user).enrollments == [general]


def test_it_falls_back_to_the_newest_enrollment_of_any_device(user):
    EnrollmentFactory(user=user, device_id="pendant-1")
    phone = EnrollmentFactory(user=user, device_id="phone")
    assert enrollment_active_voiceprint(user=user, device_id="watch").enrollments == [phone]
    assert enrollment_active_voiceprint(user=user).enrollments == [phone]


def test_it_combines_only_the_devices_own_enrollments(user, settings):
    settings.VOICEPRINT_COMBINE_LAST = 3
    first = EnrollmentFactory(user=user, device_id="pendant-1")
    EnrollmentFactory(user=user)
    second = EnrollmentFactory(user=user, device_id="pendant-1")
    assert enrollment_active_voiceprint(user=user, device_id="pendant-1").enrollments == [second, first]


def test_it_marks_every_enrollment_in_use_on_some_device(user):
    EnrollmentFactory(user=user)  # replaced by the newer general one
    general = EnrollmentFactory(user=user)
    pendant = EnrollmentFactory(user=user, device_id="pendant-1")
    phone = EnrollmentFactory(user=user, device_id="phone")
    EnrollmentFactory(user=user, device_id="phone", status=Enrollment.Status.REJECTED, voiceprint=None)
    assert enrollment_active_ids(user=user) == {general.id, pendant.id, phone.id}


def test_it_adds_only_samples_the_same_device_heard(user, settings):
    enrollment = EnrollmentFactory(user=user, device_id="pendant-1")
    heard_here = VoiceSampleFactory(user=user, device_id="pendant-1")
    VoiceSampleFactory(user=user, device_id="phone")
    unknown = VoiceSampleFactory(user=user, device_id="")  # made before devices counted
    active = enrollment_active_voiceprint(user=user, device_id="pendant-1")
    expected = combine_voiceprints(
        [enrollment.voiceprint_array(), unknown.embedding_array(), heard_here.embedding_array()],
        [12_000, *[active.samples_share / (1 - active.samples_share) * 12_000 / 2] * 2],
    )
    assert active.owner_samples == 2
    np.testing.assert_allclose(active.vector, expected, atol=1e-6)


# --- band matching: the telephone-band voiceprint ------------------------------------------------


def test_it_offers_the_narrow_band_voiceprint_when_every_enrollment_has_one(user, settings):
    settings.VOICEPRINT_COMBINE_LAST = 2
    narrow = EnrollmentFactory(user=user).voiceprint_array()[::-1].copy()
    Enrollment.objects.update(voiceprint_narrow=Enrollment.voiceprint_bytes(narrow))
    only = enrollment_active_voiceprint(user=user)
    np.testing.assert_array_equal(only.vector_narrow, narrow)

    EnrollmentFactory(user=user)  # made before band matching: no narrow voiceprint
    assert enrollment_active_voiceprint(user=user).vector_narrow is None


def test_a_sample_joins_only_the_voiceprint_of_its_band(user, settings):
    settings.VOICEPRINT_SAMPLES_MAX_SHARE = 0.3
    enrollment = EnrollmentFactory(user=user, model_id="campplus-192-test")
    narrow = enrollment.voiceprint_array()[::-1].copy()
    Enrollment.objects.update(voiceprint_narrow=Enrollment.voiceprint_bytes(narrow))
    phone = VoiceSampleFactory(user=user, band="narrow")
    active = enrollment_active_voiceprint(user=user)
    np.testing.assert_array_equal(active.vector, enrollment.voiceprint_array())  # the wide one: untouched
    assert active.owner_samples == 0
    assert np.dot(active.vector_narrow, phone.embedding_array()) > np.dot(narrow, phone.embedding_array())

    room = VoiceSampleFactory(user=user, band="wide")
    legacy = VoiceSampleFactory(user=user)  # kept before bands were recorded: wide
    active = enrollment_active_voiceprint(user=user)
    assert active.owner_samples == 2
    expected = combine_voiceprints(
        [narrow, phone.embedding_array()], [enrollment.speech_ms, min(phone.duration_ms, 0.3 / 0.7 * enrollment.speech_ms)]
    )
    np.testing.assert_allclose(active.vector_narrow, expected, atol=1e-6)
    assert np.dot(active.vector, room.embedding_array()) > np.dot(enrollment.voiceprint_array(), room.embedding_array())
    assert np.dot(active.vector, legacy.embedding_array()) > np.dot(
        enrollment.voiceprint_array(), legacy.embedding_array()
    )
