from __future__ import annotations

from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Enrollment
from tests.admin_pages import count_queries, messages_of, offered_actions, queued_jobs, run_action
from tests.factories import EnrollmentFactory, UserFactory

ENROLLMENTS = reverse("admin:enrollment_enrollment_changelist")


def listed(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


def test_it_lists_enrollments_with_their_columns(admin_client, user):
    older = EnrollmentFactory(user=user)
    newest = EnrollmentFactory(user=user, duration_ms=14_200, speech_ms=11_800, edit_distance=2)
    rejected = EnrollmentFactory(user=user, status=Enrollment.Status.REJECTED, voiceprint=None, error="too short", error_code="too_short")
    response = admin_client.get(ENROLLMENTS)
    assert response.status_code == 200
    assert listed(response) == {older.pk, newest.pk, rejected.pk}
    active = {e.pk: e.in_active_voiceprint for e in response.context["cl"].result_list}
    assert active == {older.pk: False, newest.pk: True, rejected.pk: False}
    html = response.content.decode()
    for text in [user.username, "14.2", "11.8", "campplus-192-test", "Rejected"]:
        assert text in html


def test_it_lists_enrollments_without_a_query_per_row(admin_client):
    EnrollmentFactory()
    few = count_queries(admin_client, ENROLLMENTS)
    user = UserFactory()
    EnrollmentFactory.create_batch(5, user=user)
    # one more user on the page costs its active-voiceprint lookup, more rows cost nothing
    assert count_queries(admin_client, ENROLLMENTS) <= few + 2
    more = count_queries(admin_client, ENROLLMENTS)
    EnrollmentFactory.create_batch(5, user=user)
    assert count_queries(admin_client, ENROLLMENTS) == more


def test_it_searches_enrollments(admin_client):
    alice = EnrollmentFactory(user=UserFactory(username="alice"), phrase_text="the quick brown fox")
    heard = EnrollmentFactory(transcript="a stitch in time")
    failed = EnrollmentFactory(status=Enrollment.Status.REJECTED, error="no speech was found")
    for term, expected in [
        ("alice", {alice.pk}),
        ("brown fox", {alice.pk}),
        ("stitch", {heard.pk}),
        ("no speech", {failed.pk}),
    ]:
        response = admin_client.get(ENROLLMENTS, {"q": term})
        assert response.status_code == 200
        assert listed(response) == expected, term


def test_it_filters_enrollments(admin_client):
    ready = EnrollmentFactory()
    pending = EnrollmentFactory(status=Enrollment.Status.PENDING, voiceprint=None, model_id="")
    other_model = EnrollmentFactory(model_id="ecapa-256")
    for params, expected in [
        ({"status__exact": "pending"}, {pending.pk}),
        ({"model_id__exact": "ecapa-256"}, {other_model.pk}),
        ({"model_id__exact": "campplus-192-test"}, {ready.pk}),
    ]:
        response = admin_client.get(ENROLLMENTS, params)
        assert response.status_code == 200
        assert listed(response) == expected, params


def test_it_shows_an_enrollment_read_only_without_the_voiceprint(admin_client):
    enrollment = EnrollmentFactory(transcript="the best antidote", timings={"embed": 0.25})
    response = admin_client.get(reverse("admin:enrollment_enrollment_change", args=[enrollment.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "the best antidote" in html and "&quot;embed&quot;: 0.25" in html
    assert "192" in html  # voiceprint_dim
    assert 'name="voiceprint"' not in html and not response.context["has_change_permission"]
    assert admin_client.get(reverse("admin:enrollment_enrollment_add")).status_code == 403


def test_it_sends_non_staff_to_the_login_page(client, user):
    client.force_login(user)
    response = client.get(ENROLLMENTS)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_it_recomputes_voiceprints_and_says_what_it_queued(admin_client, django_capture_on_commit_callbacks):
    ready = EnrollmentFactory(attempts=1)
    busy = EnrollmentFactory(status=Enrollment.Status.PROCESSING, claimed_at=timezone.now())
    gone = EnrollmentFactory(audio="")
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, ENROLLMENTS, "recompute_voiceprint", [ready, busy, gone])
    assert response.status_code == 302
    assert messages_of(response) == [
        "1 enrollment queued for a new voiceprint, 1 skipped (being processed now), "
        "1 impossible (recording no longer kept)."
    ]
    statuses = dict(Enrollment.objects.values_list("id", "status"))
    assert statuses == {ready.pk: "pending", busy.pk: "processing", gone.pk: "ready"}
    assert queued_jobs() == [("enrollment.tasks.process_enrollment", (ready.pk,))]


def test_it_offers_recompute_only_to_staff_who_may_change_enrollments(client, django_user_model):
    staff = django_user_model.objects.create_user("staff", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_enrollment"))
    client.force_login(staff)
    EnrollmentFactory()
    assert offered_actions(client.get(ENROLLMENTS)) == []
    staff.user_permissions.add(Permission.objects.get(codename="change_enrollment"))
    assert offered_actions(client.get(ENROLLMENTS)) == ["recompute_voiceprint"]
