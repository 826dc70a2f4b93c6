"""Search of what the owner said: every word of the query, in any order, whatever the case and
punctuation ("lips, mouth" finds "Lips and mouth.").

- PostgreSQL: full-text search on `Utterance.search_vector` (a trigger keeps it, a GIN index on
  (user_id, search_vector) finds it; migration 0003) with the `english` configuration, so words
  match by their stem ("runs" finds "running") and common words ("the", "and") are ignored, as
  is what looks like an HTML tag ("<b>"). Results are ranked (`ts_rank`: how often and how close
  together the words occur), best first, then newest first; the words that matched are
  highlighted by `ts_headline`.
- Other databases, and PostgreSQL when the query has only common words ("the who"): each word
  must occur in the text (case-insensitive, anywhere in a word), newest first; every occurrence
  is highlighted.

Every search result carries `rank` (0.0 when unranked), so one keyset order serves both:
SEARCH_ORDERING, with utterances.pagination.SearchCursorPagination.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connections
from django.db.models import F, FloatField, QuerySet, Value
from django.db.models.functions import Cast
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

SEARCH_CONFIG = "english"  # the configuration migration 0003's trigger writes search_vector with
SEARCH_ORDERING = ("-rank", "-start_ts", "-id")
SEARCH_ORDERS = ("relevance", "newest")
# ts_headline brackets each matched word with these (Unicode private-use characters): the text
# is escaped piece by piece around them, so neither the text nor the query can inject markup.
MARK_START, MARK_END = "\ue000", "\ue001"
WORD = re.compile(r"\w+(?:['’]\w+)*")
_UNRANKED = Value(0.0, output_field=FloatField())
# Also 0, but an expression of the row rather than a constant, so that PostgreSQL sorts the rows
# the GIN index finds instead of walking the time index and testing each of the owner's rows
# (measured at 1 M: 0.6–0.9 s whether the word is there or not, against 30–70 ms).
_UNRANKED_FULL_TEXT = F("id") * 0


def search_terms(q: str) -> tuple[str, ...]:
    """The words of `q`, each once (ignoring case), in the order typed; `q` itself, stripped,
    when it has no word (a search for "?" looks for a question mark)."""
    terms: dict[str, str] = {}
    for word in WORD.findall(q):
        terms.setdefault(word.casefold(), word)
    if not terms and q.strip():
        return (q.strip(),)
    return tuple(terms.values())


def search_full_text(q: str, *, using: str) -> bool:
    """Whether database `using` searches `q` by full text: PostgreSQL, and `q` has at least one
    word that is not a stop word (else its text search query is empty and would find nothing)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT numnode(plainto_tsquery(%s::regconfig, %s))", [SEARCH_CONFIG, q])
        return cursor.fetchone()[0] > 0


def search_filter(utterances: QuerySet, q: str, *, ranked: bool = True) -> QuerySet:
    """`utterances` that contain every word of `q`, each with a `rank` (0.0 unless ranked by
    full text), in SEARCH_ORDERING."""
    if search_full_text(q, using=utterances.db):
        query = SearchQuery(q, config=SEARCH_CONFIG, search_type="plain")
        utterances = utterances.filter(search_vector=query).annotate(
            # as double precision: a real's text loses digits, and a page's cursor compares ranks exactly
            rank=Cast(SearchRank(F("search_vector"), query) if ranked else _UNRANKED_FULL_TEXT, FloatField()),
            # for the rows of a page only: utterances.pagination finds a page's keys without it
            search_headline=SearchHeadline(
                "text", query, config=SEARCH_CONFIG, start_sel=MARK_START, stop_sel=MARK_END, highlight_all=True
            ),
        )
    else:
        for term in search_terms(q):
            utterances = utterances.filter(text__icontains=term)
        utterances = utterances.annotate(rank=_UNRANKED)
    return utterances.order_by(*SEARCH_ORDERING)


# --- highlighting ----------------------------------------------------------------------------


def search_highlight(utterance, q: str) -> SafeString:
    """The utterance's text as HTML: escaped, with the words `q` matched in <mark>."""
    text = utterance.text
    spans = None
    headline = getattr(utterance, "search_headline", None)
    if headline is not None:
        spans = headline_spans(headline, text)
    if spans is None:
        spans = term_spans(text, search_terms(q))
    return marked_html(text, spans)


def headline_spans(headline: str, text: str) -> list[tuple[int, int]] | None:
    """(start, end) of each word ts_headline bracketed in `headline`; None unless removing the
    brackets gives back `text` exactly (a text that holds the bracket characters itself)."""
    if MARK_START in text or MARK_END in text:
        return None
    spans, plain, start = [], [], None
    length = 0
    for piece in re.split(f"([{MARK_START}{MARK_END}])", headline):
        if piece == MARK_START:
            start = length
        elif piece == MARK_END:
            if start is None:
                return None
            spans.append((start, length))
            start = None
        else:
            plain.append(piece)
            length += len(piece)
    return spans if "".join(plain) == text and start is None else None


def term_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """(start, end) of every case-insensitive occurrence of any of `terms` in `text`,
    overlapping ones merged, in order."""
    terms = [term for term in terms if term]
    if not terms:
        return []
    pattern = re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    spans: list[tuple[int, int]] = []
    position = 0
    while match := pattern.search(text, position):
        start, end = match.span()
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
        position = start + 1  # overlapping occurrences ("aa" in "aaa") too
    return spans


def marked_html(text: str, spans: Iterable[tuple[int, int]]) -> SafeString:
    """`text` HTML-escaped, with each (start, end) span in <mark>; each piece is escaped on its
    own, so a <mark> never cuts an entity."""
    html, position = [], 0
    for start, end in spans:
        html.append(conditional_escape(text[position:start]))
        html.append(f"<mark>{conditional_escape(text[start:end])}</mark>")
        position = end
    html.append(conditional_escape(text[position:]))
    return mark_safe("".join(html))  # every piece is escaped above
