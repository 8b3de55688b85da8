"""The patches of bot/rasa_patches.py TURN_PATCHES, each against the Rasa installed: what it
replaces still exists with the shape it expects (a Rasa upgrade that moves it fails here,
not silently in production), and it has its effect, with Rasa's own answers kept."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import tarfile

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa.core import tracker_store
from rasa.core.actions.action import RemoteAction
from rasa.core.actions.forms import FormAction
from rasa.core.tracker_store import SQLTrackerStore
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.storage import ModelMetadata
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_patches
from bot.local import ROOT
from bot.rasa_patches import DEFERRED_MODULES, STORED_EVENTS, TURN_PATCHES, apply_turn_patches, read_train_schema_on_use

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet]
slots:
  product: {type: text, mappings: [{type: custom}]}
  quantity: {type: float, mappings: [{type: custom}]}
""")


@pytest.fixture(autouse=True)
def undo_patches(monkeypatch):
    """Every attribute a patch replaces, put back after the test."""
    for target, name in ((Event, "resolve_by_type"), (SQLTrackerStore, "_retrieve"), (SQLTrackerStore, "save"),
                         (SQLTrackerStore, "retrieve"),
                         (SQLTrackerStore, "__init__"), (tracker_store, "create_engine_kwargs"),
                         (EndpointConfig, "session"), (FormAction, "run"),
                         (RemoteAction, "_validate_action_result"), (DaskGraphRunner, "run"),
                         (ModelMetadata, "from_dict")):
        monkeypatch.setattr(target, name, target.__dict__[name] if target in (Event, ModelMetadata) else getattr(target, name))


def parameters(function) -> list:
    return list(inspect.signature(function).parameters)


def test_every_patch_is_named_and_switchable():
    assert apply_turn_patches("all") == []
    assert apply_turn_patches("event_types,keep_alive") == ["save_without_count", "tracker_cache", "sqlite_wal",
                                                            "json_calls", "form_requested_slot", "reply_schema",
                                                            "graph_in_order"]
    with pytest.raises(SystemExit, match="unknown patches"):
        apply_turn_patches("no_such_patch")


# ---------------------------------------------------------------------------------------
# event_types


def test_the_event_type_map_gives_rasa_answers_without_walking_the_classes(monkeypatch):
    assert parameters(Event.__dict__["resolve_by_type"].__func__) == ["type_name", "default"]
    names = {cls.type_name for cls in all_subclasses(Event)}
    rasa_answers = {name: Event.resolve_by_type(name) for name in names}
    TURN_PATCHES["event_types"]()
    assert {name: Event.resolve_by_type(name) for name in names} == rasa_answers
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards compatibility
    assert Event.resolve_by_type("no such event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no such event")

    walked = []
    original = inspect.isabstract
    monkeypatch.setattr(inspect, "isabstract", lambda cls: walked.append(cls) or original(cls))
    assert Event.resolve_by_type("slot") is SlotSet
    assert walked == []  # the map answered: no walk over Event's subclasses

    class LaterEvent(ActionExecuted):  # a class imported after the map was built
        type_name = "bespoke_test_later_event"

    assert Event.resolve_by_type("bespoke_test_later_event") is LaterEvent


# ---------------------------------------------------------------------------------------
# save_without_count


def store_at(path) -> SQLTrackerStore:
    return SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path))


async def a_conversation(store: SQLTrackerStore) -> None:
    """Saves as Rasa's processor makes them: a new tracker, turns, a new session, a
    second save of the same tracker, two senders."""
    for sender in ("anna", "ben"):
        tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
        tracker.update(ActionExecuted("action_session_start", timestamp=1.0))
        tracker.update(SessionStarted(timestamp=1.1))
        tracker.update(ActionExecuted("action_listen", timestamp=1.2))
        await store.save(tracker)
        for turn in range(3):
            tracker = await store.retrieve(sender)
            tracker.update(UserUttered("a shirt", {"name": "greet", "confidence": 1.0}, timestamp=2.0 + turn))
            tracker.update(SlotSet("product", f"shirt {turn}", timestamp=2.1 + turn))
            tracker.update(ActionExecuted("action_listen", timestamp=2.2 + turn))
            await store.save(tracker)
        tracker = await store.retrieve(sender)  # the session expires in this turn
        tracker.update(ActionExecuted("action_session_start", timestamp=10.0))
        tracker.update(SessionStarted(timestamp=10.1))
        tracker.update(SlotSet("product", "shirt 0", timestamp=10.2))
        await store.save(tracker)
        tracker.update(SlotSet("quantity", 2.0, timestamp=10.3))
        await store.save(tracker)  # saved again: Rasa counts again
        tracker = await store.retrieve(sender)
        tracker.update(ActionExecuted("action_listen", timestamp=11.0))
        await store.save(tracker)


def stored_rows(store: SQLTrackerStore) -> list:
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(
            "SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"))]


async def test_the_store_writes_and_reads_what_rasa_does_without_counting(tmp_path):
    assert parameters(SQLTrackerStore._retrieve) == ["self", "sender_id", "fetch_events_from_all_sessions"]
    assert parameters(SQLTrackerStore.save) == ["self", "tracker"]
    assert parameters(SQLTrackerStore._event_query) == ["self", "session", "sender_id", "fetch_events_from_all_sessions"]
    assert {c.name for c in SQLTrackerStore.SQLEvent.__table__.columns} == {
        "id", "sender_id", "type_name", "timestamp", "intent_name", "action_name", "data"}

    rasa_store = store_at(tmp_path / "rasa.db")
    await a_conversation(rasa_store)
    rasa_trackers = {sender: (await rasa_store.retrieve(sender)).current_state() for sender in ("anna", "ben")}
    rasa_full = (await rasa_store.retrieve_full_tracker("anna")).current_state()

    TURN_PATCHES["save_without_count"]()
    store = store_at(tmp_path / "patched.db")
    statements = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    await a_conversation(store)

    assert stored_rows(store) == stored_rows(rasa_store)  # the same rows, ids included
    assert {sender: (await store.retrieve(sender)).current_state() for sender in ("anna", "ben")} == rasa_trackers
    assert (await store.retrieve_full_tracker("anna")).current_state() == rasa_full
    counts = [s for s in statements if "count(" in s.lower()]
    # Counted only where Rasa's count is the only answer: the first save of each sender's
    # new tracker (its creation), and the second save after the new session.
    assert len(counts) == 2 * 2
    tracker = await store.retrieve("anna")
    assert getattr(tracker, STORED_EVENTS) == len(tracker.events) > 0


async def test_a_tracker_the_store_did_not_load_is_counted_as_rasa_does(tmp_path):
    TURN_PATCHES["save_without_count"]()
    store = store_at(tmp_path / "t.db")
    await a_conversation(store)
    before = len(stored_rows(store))
    tracker = await store.retrieve("anna")
    delattr(tracker, STORED_EVENTS)  # as the API's PUT .../tracker/events builds it
    await store.save(tracker)
    assert len(stored_rows(store)) == before  # Rasa's count: nothing new to insert


# ---------------------------------------------------------------------------------------
# sqlite_wal


def test_the_sqlite_tracker_database_is_pooled_in_wal_with_synchronous_normal(tmp_path):
    assert parameters(tracker_store.create_engine_kwargs) == ["url"]
    plain = store_at(tmp_path / "plain.db")
    with plain.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"

    TURN_PATCHES["sqlite_wal"]()
    store = store_at(tmp_path / "wal.db")
    assert isinstance(store.engine.pool, sa.pool.QueuePool)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    assert tracker_store.create_engine_kwargs("postgresql://u:p@localhost/rasa")["pool_size"] > 0  # Rasa's, untouched


# ---------------------------------------------------------------------------------------
# keep_alive and json_calls


@pytest.fixture
async def action_server():
    seen = []

    async def webhook(request: web.Request) -> web.Response:
        seen.append({"peer": request.transport.get_extra_info("peername"), "body": await request.text(),
                     "secret": request.headers.get("X-Secret")})
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}/webhook", seen
    await server.close()


async def test_action_calls_keep_one_connection_alive(action_server):
    url, seen = action_server
    assert parameters(EndpointConfig.session) == ["self"]
    assert parameters(EndpointConfig.request)[:3] == ["self", "method", "subpath"]
    endpoint = EndpointConfig(url, headers={"X-Secret": "s3cret"})
    await endpoint.request(json={"n": 1}, method="post")
    await endpoint.request(json={"n": 2}, method="post")
    assert seen[0]["peer"] != seen[1]["peer"]  # Rasa: a new connection per call

    TURN_PATCHES["keep_alive"]()
    await endpoint.request(json={"n": 3}, method="post")
    await endpoint.request(json={"n": 4}, method="post")
    assert seen[2]["peer"] == seen[3]["peer"]  # the same kept-alive connection
    assert [s["secret"] for s in seen] == ["s3cret"] * 4
    assert [json.loads(s["body"]) for s in seen] == [{"n": n} for n in (1, 2, 3, 4)]


async def test_action_calls_are_encoded_by_ujson_as_the_same_json(action_server):
    url, seen = action_server
    assert "_json_serialize" in aiohttp.ClientSession.ATTRS
    TURN_PATCHES["keep_alive"]()
    TURN_PATCHES["json_calls"]()
    payload = {"tracker": {"events": [{"event": "slot", "name": "url", "value": "a/b é", "timestamp": 1733130000.1234567}],
                           "latest": 2.5e-7, "lone": "\ud800"}}
    await EndpointConfig(url).request(json=payload, method="post")
    assert json.loads(seen[0]["body"]) == payload  # a lone surrogate too: escaped, as json.dumps does
    await EndpointConfig(url).request(json={"value": "a/b é", "t": 0.1}, method="post")
    assert seen[1]["body"] == '{"value":"a/b \\u00e9","t":0.1}'  # ujson's compact form, not json.dumps'


def test_what_ujson_refuses_is_encoded_by_json(monkeypatch):
    import ujson

    def refuse(*args, **kwargs):
        raise OverflowError("refused")

    monkeypatch.setattr(ujson, "dumps", refuse)
    assert rasa_patches._dumps({"a": [1, 0.5]}) == json.dumps({"a": [1, 0.5]})


# ---------------------------------------------------------------------------------------
# tracker_cache


async def test_a_saved_tracker_is_taken_back_while_the_database_still_ends_with_it(tmp_path):
    rasa_store = store_at(tmp_path / "rasa.db")
    await a_conversation(rasa_store)
    TURN_PATCHES["save_without_count"]()
    TURN_PATCHES["tracker_cache"]()
    store = store_at(tmp_path / "kept.db")
    await a_conversation(store)
    assert stored_rows(store) == stored_rows(rasa_store)

    tracker = await store.retrieve("ben")
    tracker.update(UserUttered("two", {"name": "greet", "confidence": 1.0}, timestamp=12.0))
    await store.save(tracker)
    statements = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    again = await store.retrieve("ben")
    assert again is tracker  # kept ...
    assert not [s for s in statements if "events.data" in s]  # ... without reading the events
    from_db = await SQLTrackerStore._retrieve(store, "ben", False)  # the patched load, not the kept tracker
    assert again.current_state() == from_db.current_state()

    # Taken out while a turn uses it: a turn that fails before saving leaves nothing behind.
    again.update(SlotSet("product", "never stored", timestamp=13.0))
    reloaded = await store.retrieve("ben")
    assert reloaded is not again and reloaded.get_slot("product") != "never stored"
    await store.save(reloaded)

    # Another process (or worker) writes to the conversation: the database is read again.
    other = store_at(tmp_path / "kept.db")
    written = await other.retrieve("ben")
    written.update(SlotSet("product", "from elsewhere", timestamp=14.0))
    await SQLTrackerStore.save(other, written)
    assert (await store.retrieve("ben")).get_slot("product") == "from elsewhere"


def test_the_tracker_cache_is_never_on_without_the_save_that_counts_for_it():
    assert "tracker_cache" not in apply_turn_patches("save_without_count,event_types,sqlite_wal,keep_alive,json_calls")


# ---------------------------------------------------------------------------------------
# form_requested_slot

FORM_DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [inform]
entities: [size, colour]
slots:
  size: {type: text, mappings: [{type: from_entity, entity: size}]}
  colour: {type: text, mappings: [{type: from_entity, entity: colour}]}
forms:
  shirt_form: {required_slots: [size, colour]}
responses:
  utter_ask_size: [{text: "Which size?"}]
  utter_ask_colour: [{text: "Which colour?"}]
""")


def form_tracker(slot: str, value: str, requested: object = "size"):
    """A shirt form asking for `requested`, the customer's message just filling `slot`
    (as Rasa's action_extract_slots leaves it: a SlotSet after the message)."""
    from rasa.shared.core.constants import REQUESTED_SLOT
    from rasa.shared.core.events import ActiveLoop
    from rasa.shared.core.trackers import DialogueStateTracker

    opened = [ActionExecuted("action_listen"), UserUttered("a shirt", {"name": "inform", "confidence": 1.0}),
              ActionExecuted("shirt_form"), ActiveLoop("shirt_form")]
    if requested is not None:
        opened.append(SlotSet(REQUESTED_SLOT, requested))
    return DialogueStateTracker.from_events("form", opened + [
        ActionExecuted("action_listen"),
        UserUttered(value, {"name": "inform", "confidence": 1.0}, [{"entity": slot, "value": value}]),
        SlotSet(slot, value),
    ], slots=FORM_DOMAIN.slots)


async def run_form(tracker) -> list:
    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator

    return await FormAction("shirt_form", None).run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(FORM_DOMAIN.responses), tracker, FORM_DOMAIN)


def applied(tracker, events) -> dict:
    for event in events:
        tracker.update(event)
    return {"slots": tracker.current_slot_values(), "loop": tracker.active_loop_name,
            "set": {name: slot.has_been_set for name, slot in tracker.slots.items()}}


async def test_a_form_asking_again_for_the_same_slot_leaves_out_the_repeated_requested_slot():
    from rasa.shared.core.constants import REQUESTED_SLOT

    assert parameters(FormAction.run) == ["self", "output_channel", "nlg", "tracker", "domain"]
    cases = (("colour", "red", "size"),  # size asked again: the SlotSet repeats the value
             ("size", "large", "size"),  # size given: colour asked next, a change
             ("colour", "red", None))  # requested_slot never set: set, even to what it holds
    rasa_replies = [await run_form(form_tracker(*case)) for case in cases]
    assert SlotSet(REQUESTED_SLOT, "size") in rasa_replies[0]  # what the patch is for: Rasa repeats it
    TURN_PATCHES["form_requested_slot"]()
    replies = [await run_form(form_tracker(*case)) for case in cases]

    assert replies[0] == [event for event in rasa_replies[0] if event != SlotSet(REQUESTED_SLOT, "size")]
    assert replies[1] == rasa_replies[1] and SlotSet(REQUESTED_SLOT, "colour") in replies[1]
    assert replies[2] == rasa_replies[2] and SlotSet(REQUESTED_SLOT, "size") in replies[2]
    for case, reply, rasa_reply in zip(cases, replies, rasa_replies, strict=True):
        assert applied(form_tracker(*case), reply) == applied(form_tracker(*case), rasa_reply)
    assert [event.text for event in replies[0] if event.type_name == "bot"] == ["Which size?"]


# ---------------------------------------------------------------------------------------
# reply_schema

REPLY_EVENTS = [
    {"event": "slot", "name": "product", "value": "shirt", "timestamp": None},
    {"event": "slot", "name": "quantity", "value": 2.0, "timestamp": 1.5, "metadata": {}},
    {"event": "bot", "text": "Which size?", "data": {"buttons": []}},
    {"event": "active_loop", "name": "order_form"},
    {"event": "action", "name": "action_listen", "policy": None, "confidence": 1.0},
    {"event": "followup", "name": "action_ask_product"},
    {"event": "reset_slots"},
    {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet", "confidence": 1.0}, "entities": []}},
]
REPLIES = [{}, {"events": [], "responses": []}, {"events": REPLY_EVENTS, "responses": [{"text": "hi"}]}] + [
    {"events": [event]} for event in REPLY_EVENTS] + [
    # and what Rasa refuses
    [], {"events": {}}, {"events": [{}]}, {"events": ["slot"]}, {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": 3}]}, {"events": [{"event": "slot", "name": "product"}]},
    {"events": [{"event": "slot", "name": 3, "value": None}]}, {"events": [{"event": "slot", "value": 1}]},
    {"events": [REPLY_EVENTS[0], {"event": "action", "name": 4}]}, {"events": [{"event": "bot", "timestamp": "now"}]},
    {"events": [{"event": "bot", "metadata": []}]}, {"events": [{"event": "user", "parse_data": {"entities": [{}]}}]},
    {"events": [], "responses": [3]}, {"events": [], "responses": {}},
]


def rasa_verdict(action, result) -> str:
    from jsonschema import ValidationError

    try:
        return "valid" if action._validate_action_result(result) else "false"
    except ValidationError as error:
        return f"refused: {error.message}"


def test_replies_are_validated_by_their_event_schema_with_rasa_answers(monkeypatch):
    schema = RemoteAction.action_response_format_spec()
    assert set(schema["properties"]["events"]) == {"type", "items"}
    names = [branch["properties"]["event"]["const"] for branch in schema["properties"]["events"]["items"]["oneOf"]]
    assert len(set(names)) == len(names) > 20  # every branch names its own event: the patch's premise
    action = RemoteAction("validate_order_form", None)
    rasa_verdicts = [rasa_verdict(action, reply) for reply in REPLIES]
    assert rasa_verdicts[:11] == ["valid"] * 11 and all(v.startswith("refused") for v in rasa_verdicts[11:])

    fully_validated = []
    rasa_validate = RemoteAction._validate_action_result
    monkeypatch.setattr(RemoteAction, "_validate_action_result",
                        lambda self, result: fully_validated.append(result) or rasa_validate(self, result))
    TURN_PATCHES["reply_schema"]()
    assert [rasa_verdict(action, reply) for reply in REPLIES] == rasa_verdicts  # the same answers and errors
    assert fully_validated == REPLIES[11:]  # only what the event schemas refuse went the long way


# ---------------------------------------------------------------------------------------
# graph_in_order


async def test_the_model_graph_runs_the_same_nodes_without_dask_with_the_same_results(trained_model, monkeypatch):
    from rasa.core.agent import Agent
    from rasa.engine.graph import GraphNode
    from rasa.shared.core.trackers import DialogueStateTracker

    calls = []
    node_call = GraphNode.__call__

    def recorded(self, *inputs):
        calls.append((self._node_name, len(inputs)))
        return node_call(self, *inputs)

    monkeypatch.setattr(GraphNode, "__call__", recorded)
    agent = Agent.load(str(trained_model))
    texts = ["hi", "I would like a shirt in size L", "how much is the conveyor?", "ok"]

    async def run_graphs() -> list:
        seen = []
        for text in texts:
            calls.clear()
            parsed = await agent.parse_message(text)
            tracker = DialogueStateTracker.from_events("graph", [
                ActionExecuted("action_listen"), UserUttered(text, parsed["intent"], parsed["entities"])],
                slots=agent.domain.slots)
            prediction = agent.processor._predict_next_with_tracker(tracker)
            seen.append((parsed, prediction.max_confidence_index, prediction.policy_name, list(calls)))
        return seen

    rasa_runs = await run_graphs()
    assert all(nodes for *_, nodes in rasa_runs)
    TURN_PATCHES["graph_in_order"]()
    runs = await run_graphs()
    # The same parses and predictions, each node called once with as many inputs: only
    # nodes that do not need each other may come in another order.
    assert [run[:3] for run in runs] == [run[:3] for run in rasa_runs]
    assert [sorted(run[3]) for run in runs] == [sorted(run[3]) for run in rasa_runs]


# ---------------------------------------------------------------------------------------
# defer_tensorflow (applied before Rasa is imported, so checked in a Python of its own)

SERVE_WITHOUT_TENSORFLOW = """
import asyncio, json, sys

from bot.rasa_patches import DEFERRED_MODULES, defer_tensorflow

if sys.argv[2] == "patched":
    defer_tensorflow()
import rasa.core.run  # everything `rasa run` imports before it serves
from rasa.core.agent import load_agent

TENSORFLOW = ("tensorflow", "keras", "tensorflow_hub", "tensorflow_text")

def tensorflow_modules():
    return sorted(name for name in sys.modules if name.split(".")[0] in TENSORFLOW)

async def serve():
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    agent = await load_agent(model_path=sys.argv[1])
    parsed = await agent.parse_message("hi")
    tracker = DialogueStateTracker.from_events("defer-tensorflow", [
        ActionExecuted("action_listen"), UserUttered("hi", parsed["intent"], parsed["entities"])],
        slots=agent.domain.slots)
    prediction = agent.processor._predict_next_with_tracker(tracker)
    return parsed["intent"]["name"], agent.domain.action_names_or_texts[prediction.max_confidence_index]

intent, action = asyncio.run(serve())
served_with = tensorflow_modules()
deferred = {name: type(sys.modules[name]).__name__ for name in DEFERRED_MODULES}
# What needs TensorFlow still gets all of it: a deferred module's functions, DIET's class.
import rasa.utils.train_utils
split = rasa.utils.train_utils.init_split_entities(False, True)
then = "tensorflow" in sys.modules
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
print(json.dumps({"intent": intent, "action": action, "served_with": served_with, "deferred": deferred,
                  "split": split, "then": then, "diet": DIETClassifier.__name__,
                  "train_utils": type(sys.modules["rasa.utils.train_utils"]).__name__}))
"""


def serve_in_new_python(model, mode: str) -> dict:
    """SERVE_WITHOUT_TENSORFLOW's findings, in a Python that has imported nothing yet."""
    result = subprocess.run([sys.executable, "-c", SERVE_WITHOUT_TENSORFLOW, str(model), mode], cwd=ROOT,
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_rasa_serves_our_model_without_tensorflow_and_imports_it_for_what_needs_it(trained_model):
    served = serve_in_new_python(trained_model, "patched")
    assert served["intent"] == "greet" and served["action"] == "action_list_products"  # the NLU and the policies
    assert served["served_with"] == []  # neither TensorFlow nor keras, tensorflow_hub, tensorflow_text
    assert served["deferred"] == dict.fromkeys(DEFERRED_MODULES, "_LazyModuleWithSpec")
    assert served["split"] == {"split_entities_by_comma": False} and served["then"] is True  # imported for it
    assert served["diet"] == "DIETClassifier"
    assert served["train_utils"] == "module"  # executed, an ordinary module from then on


def test_without_the_patch_rasa_imports_tensorflow_to_serve(trained_model):
    """The premise: the day a Rasa upgrade no longer imports TensorFlow to serve, the patch can go."""
    assert "tensorflow" in serve_in_new_python(trained_model, "plain")["served_with"]


def test_the_train_schema_is_read_when_used_as_rasa_reads_it(trained_model):
    with tarfile.open(trained_model) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("metadata.json"))
        serialized = json.load(archive.extractfile(member))
    assert parameters(ModelMetadata.from_dict.__func__) == ["cls", "serialized"]
    rasa_metadata = ModelMetadata.from_dict(json.loads(json.dumps(serialized)))
    read_train_schema_on_use()
    metadata = ModelMetadata.from_dict(json.loads(json.dumps(serialized)))
    assert "_serialized" in vars(metadata.train_schema)  # no class imported yet
    assert metadata.predict_schema == rasa_metadata.predict_schema
    assert metadata.train_schema == rasa_metadata.train_schema  # read now, with Rasa's own from_dict
    assert type(metadata.train_schema) is type(rasa_metadata.train_schema)
    assert metadata.as_dict() == rasa_metadata.as_dict()  # (two Domains of one dict are never ==)
