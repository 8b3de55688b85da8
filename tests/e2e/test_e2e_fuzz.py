"""A generated run against the real servers (issue 11): 2,000+ seeded messages of every kind
that broke the bot once, to Rasa's REST channel and the web chat's /api/messages, some of
one conversation at once, with real order answers mixed in. Every request must get an
answer that is not a 5xx; every message taken must get a non-empty reply; every request
refused must be refused for what it is (400 malformed, 413 too large); no process may die
(the supervisor's children keep their pids and answer their health checks); an order begun
before the run completes after it and is read back from the store field by field; and the
staff pages that read every conversation stay 200.

The messages come from one seeded random generator (SEED), so a failure names the request
that failed and the same run can be made again; FUZZ_SEED in the environment tries another.
Bounded: MESSAGES requests over a small thread pool, each with a timeout, and a time guard
that stops sending (and fails) rather than let the run hang."""

from __future__ import annotations

import json
import os
import random
import re
import string
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import requests

from bot.core.limits import MAX_MESSAGE_CHARS, MAX_REQUEST_BYTES
from tests.e2e.test_e2e_hardening import signed_in
from tests.support.replies import texts

SEED = int(os.environ.get("FUZZ_SEED", "20261202"))
MESSAGES = 2000
WORKERS = 4  # two loaded cores: a small pool, enough to have conversations overlap
TIME_GUARD_S = 480  # a hang guard, not a speed target: sending stops and the test fails
PC_BEGUN = ["I need a gaming PC", "the 7800X3D", "32 GB DDR5"]
PC_FINISHED = ["2TB SSD", "RTX 4070 Super", "mid tower", "win 11", "yes"]
CONTACT = ["Zoë Ångström-Łukasz", "zoe.angstrom@example.com", "Hauptstrasse 12, 10115 Berlin"]

# --- what a customer (or a probe) may type --------------------------------------------

ODD = ["\u0301\u0301\u0301", "\u202e", "\u200b", "\u200d", "\ufeff", "\uffff", "\U0001d573", "\U000e0041",
       "\u0000", "ｆｕｌｌｗｉｄｔｈ", "ǅ", "ß", "İ", "\u2028", "\u2029", "Ω", "李娜", "Nguyễn", "\U0010ffff",
       "\u00a0", "ﷺ", "𒐫", "Z̷̢̛a̸l̵g̶o̷", "\u0e47" * 20, "\u034f", "\u2066x\u2069"]
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇩🇪", "💥", "🔥", "❤️", "🤖", "🧵"]
HTML = ["<script>alert(1)</script>", "<img src=x onerror=alert(document.cookie)>", "\"><svg onload=alert(1)>",
        "{{7*7}}", "${7*7}", "<iframe src=javascript:alert(1)>", "&lt;b&gt;", "<!--", "]]>", "javascript:alert(1)"]
SQL = ["'; DROP TABLE orders; --", "1 OR 1=1", "Robert'); DROP TABLE events;--", "\" OR \"\"=\"",
       "1; SELECT pg_sleep(10)", "admin'--", "' UNION SELECT * FROM staff_accounts --", "%' AND 1=0 --"]
NUMBERS = ["NaN", "nan mm", "1e308 mm", "1e308", "-1e308 GB", "inf", "-inf cm", "Infinity", "1e-400", "-0",
           "0x1F", "1_000 mm", "٣٢ GB", "½", "10**100", "9" * 400, "0." + "0" * 300 + "1 m", "1,2,3,4,5,6"]
ANSWERS = ["I need a gaming PC", "the 7800X3D", "32 GB DDR5", "2TB SSD", "RTX 4070 Super", "mid tower", "win 11",
           "I'd like a shirt", "light blue poplin", "slim fit", "button-down", "french cuffs", "15.5", "40 inches",
           "a conveyor", "800 mm wide", "12 m long", "40 kilos a metre", "yes", "no", "cancel", "change the cpu",
           "what does it cost?", "hi", "Anna Schmidt", "anna@example.com", "Hauptstrasse 12, 10115 Berlin",
           "where is my order BSP-ABCDEF?", "do you make shirts?", "can I pay with paypal?", "3", "skip"]
# Rasa's built-in /restart, /session_start and /back are not here: they still get no reply
# (test_rasas_own_intents_typed_by_a_customer_get_a_reply below, a known gap).
PAYLOADS = ["/greet", "/no_such_intent", '/inform{"product": "custom_pc"}',
            '/affirm{"selections": {"cpu": "x"}}', "/", "//", "/stop", "/action_place_order", "/out_of_scope",
            "/nlu_fallback", '/inform{"choice": "\'; DROP TABLE orders; --"}', '/inform{not json', "/deny"]
WORDS = ["shirt", "PC", "conveyor", "mm", "GB", "please", "the", "yes", "no", "and", "cm", "€", "colour"]


def unicode_text(rng: random.Random) -> str:
    return " ".join(rng.choice(ODD + WORDS) for _ in range(rng.randint(1, 12)))


def control_text(rng: random.Random) -> str:
    controls = [chr(code) for code in [*range(0x00, 0x20), *range(0x7F, 0xA0)]]
    return "".join(rng.choice(controls + list("Anna Schmidt 12")) for _ in range(rng.randint(1, 60)))


def long_number(rng: random.Random) -> str:
    digits = "1" + "".join(rng.choice(string.digits) for _ in range(rng.randint(50, 60)))
    return f"{digits}{rng.choice(['', ' ', ' mm', ' cm', ' GB', ' in', ' kg'])}"


def special_number(rng: random.Random) -> str:
    return rng.choice(NUMBERS)


def emoji_flood(rng: random.Random) -> str:
    return "".join(rng.choice(EMOJI) for _ in range(rng.randint(20, 400)))


def markup(rng: random.Random) -> str:
    return rng.choice(HTML + SQL) + rng.choice(["", " 32 GB", " Anna", " yes"])


def order_answer(rng: random.Random) -> str:
    return rng.choice(ANSWERS)


def payload(rng: random.Random) -> str:
    return rng.choice(PAYLOADS)


def mixed(rng: random.Random) -> str:
    parts = [rng.choice([unicode_text, control_text, long_number, special_number, markup, order_answer])(rng)
             for _ in range(rng.randint(2, 4))]
    return rng.choice([" ", ", ", "\n", "\t"]).join(parts)


def long_text(rng: random.Random) -> str:
    """Around the message limit, on both sides of it."""
    return "".join(rng.choice(string.ascii_letters + " ") for _ in range(MAX_MESSAGE_CHARS + rng.randint(-20, 20)))


TEXTS: Dict[str, Callable[[random.Random], str]] = {
    "unicode": unicode_text, "control": control_text, "long_number": long_number, "special_number": special_number,
    "emoji": emoji_flood, "markup": markup, "order_answer": order_answer, "payload": payload, "mixed": mixed,
    "long_text": long_text,
}


def with_surrogates(text: str, rng: random.Random) -> str:
    """`text` with lone halves of UTF-16 pairs in it, which JSON escapes ("\\ud800") carry
    as a browser's JSON.stringify can send them."""
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(text))
        text = text[:at] + rng.choice(["\ud800", "\udfff", "\udbff", "\ud83d"]) + text[at:]
    return text


# --- requests -------------------------------------------------------------------------

@dataclass
class Request:
    kind: str
    channel: str  # "rest" (Rasa's REST webhook) or "web" (/api/messages)
    body: bytes
    content_type: Optional[str] = "application/json"
    expect: Tuple[int, ...] = (200,)  # the statuses right for it; 200 must carry replies
    sender: str = ""
    headers: Dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.kind} via {self.channel} ({len(self.body)} bytes): {self.body[:160]!r}"


def message_body(sender: str, text: str, padding: int = 0, channel: str = "rest") -> bytes:
    """The JSON of one message, every character outside ASCII as an escape (so a lone
    surrogate travels as "\\ud800", as JSON can carry it)."""
    pad = ""
    if padding:
        # Rasa's REST channel carries metadata; the web chat ignores fields it does not know.
        pad = (', "metadata": {"pad": "%s"}' if channel == "rest" else ', "pad": "%s"') % ("p" * padding)
    return ('{"sender": %s, "message": %s%s}' % (json.dumps(sender), json.dumps(text), pad)).encode()


def text_request(kind: str, channel: str, sender: str, text: str, rng: random.Random, surrogates: bool) -> Request:
    if surrogates:
        text = with_surrogates(text, rng)
    body = message_body(sender, text)
    expect: Tuple[int, ...] = (200,)
    if channel == "web":  # the web chat refuses an empty or too long message itself
        if len(text) > MAX_MESSAGE_CHARS:
            expect = (413,)
        elif not text.strip():
            expect = (400,)
    return Request(kind + ("+surrogates" if surrogates else ""), channel, body, expect=expect, sender=sender)


def malformed_requests(channel: str, sender: str, rng: random.Random) -> List[Request]:
    """The bodies no channel may answer with a 5xx: too large, nested, not an object, not JSON."""
    def made(kind: str, body: bytes, expect: Tuple[int, ...], content_type: Optional[str] = "application/json"):
        return Request(kind, channel, body, content_type, expect, sender)

    over = MAX_REQUEST_BYTES + rng.randint(1, 8 * 1024)
    near = MAX_REQUEST_BYTES - rng.randint(200, 2000)
    depth = rng.choice([200, 3_000, 30_000])
    hi = message_body(sender, "hi")
    options = [
        made("over_64kb", message_body(sender, "hi", padding=over, channel=channel), (413,)),
        made("near_64kb", message_body(sender, "hi", padding=near - len(hi) - 40, channel=channel), (200,)),
        made("nested", ("[" * depth + "]" * depth).encode(), (400,)),
        made("nested_in_object", ('{"sender": %s, "message": %s}' % (json.dumps(sender), "[" * depth + "]" * depth)).encode(),
             (400,)),
        made("not_an_object", rng.choice([b"[]", b'"hi"', b"42", b"null", b"true", b"[{}]"]), (400,)),
        made("message_not_text", ('{"sender": %s, "message": %s}' % (
            json.dumps(sender), rng.choice(["42", "[\"hi\"]", '{"text": "hi"}', "1e999", "true"]))).encode(), (400,)),
        made("not_json", rng.choice([b"{not json", b"", b"\xff\xfe\x00", b"sender=x&message=hi", b"<xml/>"]), (400,)),
        # The web chat takes JSON only (a foreign page can send these without a CORS preflight);
        # Rasa's REST channel reads the body as JSON whatever its type says.
        made("text_plain", hi, (415,) if channel == "web" else (200,), "text/plain"),
        made("form_encoded", b"sender=fuzz&message=hi", (415,) if channel == "web" else (400,),
             "application/x-www-form-urlencoded"),
        made("no_content_type", hi, (415,) if channel == "web" else (200,), None),
    ]
    return [rng.choice(options)]


def rest_sender(rng: random.Random) -> str:
    """Rasa's REST channel takes any sender id: odd ones too."""
    plain = f"fuzz-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}"
    return rng.choice([plain] * 8 + [plain + "-ünï-😀", plain + "/../x", plain + " spaced", plain + "<b>"])


def conversation(rng: random.Random) -> Tuple[List[Request], bool]:
    """One conversation's requests, and whether they are sent all at once."""
    channel = rng.choice(["rest", "web"])
    sender = rest_sender(rng) if channel == "rest" else f"web:fuzz-{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}"
    address = f"198.51.100.{rng.randint(1, 254)}"  # the web chat's address limit is per browser
    requests_: List[Request] = []
    for _ in range(rng.randint(1, 10)):  # under the web chat's burst of 20 a conversation
        if rng.random() < 0.15:
            requests_ += malformed_requests(channel, sender, rng)
            continue
        kind = rng.choice(list(TEXTS))
        requests_.append(text_request(kind, channel, sender, TEXTS[kind](rng), rng, rng.random() < 0.2))
    if channel == "web":
        for request in requests_:
            request.headers["X-Forwarded-For"] = address
    return requests_, rng.random() < 0.15


def generated_run(seed: int, count: int) -> List[Tuple[List[Request], bool]]:
    rng = random.Random(seed)
    run, total = [], 0
    while total < count:
        conv = conversation(rng)
        run.append(conv)
        total += len(conv[0])
    return run


def test_the_generator_makes_every_kind_and_is_repeatable():
    run = generated_run(SEED, MESSAGES)
    kinds = Counter(request.kind.split("+")[0] for requests_, _ in run for request in requests_)
    assert sum(kinds.values()) >= MESSAGES
    assert set(TEXTS) | {"over_64kb", "near_64kb", "nested", "not_an_object", "not_json", "text_plain"} <= set(kinds)
    assert any(together for _, together in run)
    assert any("+surrogates" in request.kind for requests_, _ in run for request in requests_)
    again = generated_run(SEED, MESSAGES)
    assert [r.body for c, _ in again for r in c] == [r.body for c, _ in run for r in c]


# --- sending --------------------------------------------------------------------------

@dataclass
class Outcome:
    request: Request
    status: int
    replies: Optional[list]  # the replies of a 200, else None
    error: str = ""


class Sender:
    """Sends requests to the real servers, one requests.Session a thread."""

    def __init__(self, bot):
        self.urls = {"rest": bot.rest_url, "web": f"{bot.web_url}/api/messages"}
        self.local = threading.local()

    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def send(self, request: Request) -> Outcome:
        headers = dict(request.headers)
        if request.content_type:
            headers["Content-Type"] = request.content_type
        try:
            response = self.session().post(self.urls[request.channel], data=request.body, headers=headers, timeout=120)
        except requests.ConnectionError as exc:
            if len(request.body) > MAX_REQUEST_BYTES:  # a server may close the connection after its 413
                return Outcome(request, 413, None)
            return Outcome(request, 0, None, f"connection: {exc}")
        except requests.Timeout:
            return Outcome(request, 0, None, "no answer in 120 s")
        if response.status_code != 200:
            return Outcome(request, response.status_code, None, response.text[:300])
        try:
            body = response.json()
        except ValueError:
            return Outcome(request, 200, None, f"not JSON: {response.text[:300]!r}")
        replies = body if request.channel == "rest" else body.get("messages")
        return Outcome(request, 200, replies if isinstance(replies, list) else None)


# What a reply never holds: an internal value or an unfilled template (none of the generated
# texts has these, so a customer's words quoted back cannot match).
LEAK = re.compile(r"Traceback|Exception|Decimal\(|\bNone\b|\{[a-z_]+\}")


def wrong(outcome: Outcome) -> Optional[str]:
    """Why an outcome is wrong, or None."""
    if outcome.error and outcome.status in (0, 200):
        return outcome.error
    if outcome.status >= 500 or outcome.status == 0:
        return f"{outcome.status}: {outcome.error}"
    if outcome.status not in outcome.request.expect:
        return f"{outcome.status} (expected {outcome.request.expect}): {outcome.error}"
    if outcome.status == 200:
        said = [reply for reply in outcome.replies or [] if (reply.get("text") or "").strip() or reply.get("image")]
        if not said:
            return f"an empty reply: {outcome.replies!r}"
        leaked = [reply["text"] for reply in said if LEAK.search(reply.get("text") or "")]
        if leaked:
            return f"an internal value in a reply: {leaked[0][:300]!r}"
    return None


def test_what_counts_as_wrong():
    message = Request("order_answer", "rest", b"{}")
    assert wrong(Outcome(message, 200, [{"text": "Which CPU would you like?"}])) is None
    assert wrong(Outcome(message, 200, [{"image": "https://example.com/case.png"}])) is None
    for replies in [[], [{"text": " "}], None]:
        assert "empty" in wrong(Outcome(message, 200, replies))
    for text in ["Total: None", "Decimal('1.0')", "Which {option}?", "Traceback (most recent call last)"]:
        assert "internal" in wrong(Outcome(message, 200, [{"text": text}]))
    assert wrong(Outcome(message, 502, None, "no_answer")).startswith("502")
    assert wrong(Outcome(message, 0, None, "connection: refused"))
    assert "expected" in wrong(Outcome(message, 400, None))
    assert wrong(Outcome(Request("nested", "web", b"[[]]", expect=(400,)), 400, None)) is None


def run_all(sender: Sender, run: List[Tuple[List[Request], bool]]) -> Tuple[List[Outcome], bool]:
    """Every conversation on the pool: in order, or all its requests at once; stops sending
    at the time guard (the second value says whether it did)."""
    guard = time.monotonic() + TIME_GUARD_S
    outcomes: List[Outcome] = []
    lock = threading.Lock()

    def play(conv: Tuple[List[Request], bool]) -> None:
        requests_, together = conv
        if time.monotonic() > guard:
            return
        if together:
            with ThreadPoolExecutor(max_workers=len(requests_)) as burst:
                results = list(burst.map(sender.send, requests_))
        else:
            results = [sender.send(request) for request in requests_]
        with lock:
            outcomes.extend(results)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(play, run))
    return outcomes, time.monotonic() > guard


# --- the servers ----------------------------------------------------------------------

def children(pid: int) -> Dict[int, str]:
    """The supervisor's child processes (Rasa, the action server, the web server): pid -> command."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            found[int(child)] = cmdline.strip()
    return found


def cpu_seconds(pids) -> float:
    """User + system CPU seconds of these processes so far (clock ticks in /proc/<pid>/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def web_say(bot, sender: str, text: str) -> str:
    response = requests.post(f"{bot.web_url}/api/messages", json={"sender": sender, "message": text}, timeout=120)
    assert response.status_code == 200, response.text
    return "\n".join(message["text"] for message in response.json()["messages"])


def test_2000_generated_messages_against_the_real_servers(bot):
    run = generated_run(SEED, MESSAGES)
    processes = children(bot.process.pid)
    assert len(processes) == 3, processes
    # Orders begun before the run, a few answers in: one over REST, one through the web chat.
    rest_order = f"fuzz-order-{uuid.uuid4().hex[:8]}"
    web_order = f"web:fuzz-order-{uuid.uuid4().hex[:12]}"
    for text in PC_BEGUN:
        assert texts(bot.say(rest_order, text))
        assert web_say(bot, web_order, text)

    cpu_before, started = cpu_seconds(processes), time.monotonic()
    outcomes, guarded = run_all(Sender(bot), run)
    cpu_used, wall = cpu_seconds(processes) - cpu_before, time.monotonic() - started

    statuses = Counter(outcome.status for outcome in outcomes)
    kinds = Counter(outcome.request.kind for outcome in outcomes)
    print(f"\nfuzz seed {SEED}: {len(outcomes)} requests in {wall:.0f} s wall, {cpu_used:.0f} CPU s in the servers "
          f"({1000 * cpu_used / max(len(outcomes), 1):.0f} ms a request); statuses {dict(statuses)}; kinds {dict(kinds)}")
    failures = [(why, outcome.request.describe()) for outcome in outcomes if (why := wrong(outcome))]
    assert not guarded, f"stopped at the time guard after {len(outcomes)} requests"
    assert len(outcomes) >= MESSAGES
    assert not failures, f"{len(failures)} of {len(outcomes)} wrong, the first:\n" + "\n".join(
        f"{why}\n    {what}" for why, what in failures[:15])

    assert children(bot.process.pid) == processes, "a process died (the supervisor restarted it)"
    assert bot._ready(), "a server does not answer its health check"

    for text in PC_FINISHED:
        assert texts(bot.say(rest_order, text))
        assert web_say(bot, web_order, text)
    for who, say in [(rest_order, lambda text: texts(bot.say(rest_order, text))),
                     (web_order, lambda text: web_say(bot, web_order, text))]:
        done = [say(text) for text in CONTACT][-1]
        [order] = bot.orders_of(who)
        assert order["number"] in done
        assert (order["product_id"], order["kind"], order["status"]) == ("custom_pc", "order", "received")
        assert order["options"] == {
            "cpu": "ryzen7_7800x3d", "memory": "ddr5_32gb", "storage": "ssd_2tb",
            "graphics": "rtx_4070_super", "case": "mid_tower", "os": "windows_11_home",
        }
        assert [(p["id"], p["value"], p["price"]) for p in order["derived_parts"]] == [("psu", "psu_550w", "69")]
        assert (order["total"], order["currency"], order["lead_time_days"]) == ("1622.00", "EUR", 7)
        assert (order["customer_name"], order["customer_email"], order["customer_address"]) == tuple(CONTACT)
        assert sum(float(line["amount"]) for line in order["price_lines"]) == 1622.0

    staff = signed_in(bot)  # the conversations index reads every event of the run
    for path in ["/staff/", "/staff/conversations", "/staff/queue", "/staff/orders"]:
        page = staff.get(f"{bot.web_url}{path}", timeout=120)
        assert page.status_code == 200, (path, page.text[:500])
    assert children(bot.process.pid) == processes


def test_rasas_own_intents_typed_by_a_customer_get_a_reply(bot):
    """Rasa answered them with its default actions: utter_restart / utter_back if the domain
    had them, nothing for /session_start (the web chat's 502 no_answer); actions/own_intents.py."""
    wrongs = []
    for text in ["/restart", "/session_start", "/back"]:
        rest = requests.post(bot.rest_url, json={"sender": f"fuzz-own-{uuid.uuid4().hex[:8]}",
                             "message": text}, timeout=60)
        if rest.status_code != 200 or not texts(rest.json()).strip():
            wrongs.append(("rest", text, rest.status_code, rest.text[:200]))
        web = requests.post(f"{bot.web_url}/api/messages", json={"sender": f"web:fuzz-own-{uuid.uuid4().hex[:12]}",
                            "message": text}, timeout=60)
        if web.status_code != 200:
            wrongs.append(("web", text, web.status_code, web.text[:200]))
    assert not wrongs, wrongs


def test_a_rest_body_without_a_message_is_a_400(bot):
    """Rasa ran the NLU on None (LogisticRegression: 0 features) and answered 200 []."""
    for body in [{"sender": f"fuzz-own-{uuid.uuid4().hex[:8]}"}, {"sender": "fuzz-own-null", "message": None}]:
        response = requests.post(bot.rest_url, json=body, timeout=60)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["message"].startswith('"message" must be text'), response.text
