"""Patches to Rasa's behaviour for the CPU of a turn and for its start (issue 12), in one place.

Each turn patch is one function named in TURN_PATCHES, with what it changes and why in its
docstring; bot/rasa_server.py applies them all when Rasa starts (apply_turn_patches), the
benchmark (bench/open_loop.py `--compare`, BESPOKE_BENCH_RASA_PATCHES_OFF) switches them off
to measure each, and tests/test_rasa_patches.py fails when a Rasa upgrade moves what one
patches. The start patch (defer_tensorflow, at the end) is applied before Rasa is imported.
"""

from __future__ import annotations

import copy
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from typing import Any, Callable, Dict, List, Optional


def cache_event_types() -> None:
    """Rasa's `Event.resolve_by_type` walks `all_subclasses(Event)`, calling
    `inspect.isabstract` on each of ~40 classes, for every stored event of every turn's
    tracker load (143 events in a 12-turn order): ~10 % of a turn. The type name -> class
    map is built once and kept; a name it does not hold (a class imported later) rebuilds
    it, and a name still unknown goes to Rasa's own function (its `topic`, default and
    ValueError), so every answer is Rasa's (the first subclass with that type_name wins,
    as in Rasa's loop)."""
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    rasa_resolve = Event.resolve_by_type
    types: Dict[str, type] = {}

    def resolve_by_type(type_name: str, default: Optional[type] = None) -> Optional[type]:
        found = types.get(type_name)
        if found is None:
            types.clear()
            for cls in all_subclasses(Event):
                types.setdefault(cls.type_name, cls)
            found = types.get(type_name)
        return found if found is not None else rasa_resolve(type_name, default)

    resolve_by_type.__doc__ = rasa_resolve.__doc__
    Event.resolve_by_type = staticmethod(resolve_by_type)


# The number of a tracker's events (from its start) already stored, as Rasa's SQL store
# would count them: set when the store loads the tracker and after it saves it.
STORED_EVENTS = "_bespoke_stored_events"


def save_without_count() -> None:
    """Rasa's SQL tracker store finds the events to insert by COUNTing the session's stored
    events (the session-start subquery again) on every save, and loads and inserts them as
    ORM objects. Here the store remembers on the tracker object how many events it loaded
    (exactly that count, from the same query under the same conversation lock) and, after
    a save, how many are stored; a tracker it did not load (the API's replace, a full
    tracker) or one whose saved events started a new session is counted as Rasa does.
    The load reads only the `data` column of Rasa's own query, the save inserts the same
    rows in one executemany: the `events` table (which the staff console reads) holds
    exactly what Rasa writes."""
    import json

    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SessionStarted
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.nlu.constants import INTENT_NAME_KEY

    queries: Dict[Any, Any] = {}

    def event_data_query(store: SQLTrackerStore, session: Any, all_sessions: bool) -> Any:
        """Rasa's own `_event_query`, its `data` column only, built once per store with the
        sender id as a bound parameter (building it was half the load's CPU)."""
        key = (type(store), all_sessions)
        if key not in queries:
            query = store._event_query(session, sa.bindparam("sender_id"), all_sessions)
            queries[key] = query.with_entities(store.SQLEvent.data).statement
        return queries[key]

    async def _retrieve(self: SQLTrackerStore, sender_id: str,
                        fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            query = event_data_query(self, session, fetch_events_from_all_sessions)
            rows = session.execute(query, {"sender_id": sender_id}).all()
        events = [json.loads(data) for (data,) in rows]
        if not (self.domain and events):
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        if not fetch_events_from_all_sessions:
            setattr(tracker, STORED_EVENTS, len(rows))
        return tracker

    async def save(self: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        stored = getattr(tracker, STORED_EVENTS, None)
        with self.session_scope() as session:
            if stored is None:
                stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
            rows = []
            for event in list(tracker.events)[stored:]:
                data = event.as_dict()
                rows.append({
                    "sender_id": tracker.sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                })
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
        loaded = hasattr(tracker, STORED_EVENTS)
        if loaded:
            delattr(tracker, STORED_EVENTS)
        # Kept only where it is what Rasa's next count gives: not after a new session's
        # events (the count starts there), not for a tracker this store did not load.
        if (loaded or stored == 0) and not any(row["type_name"] == SessionStarted.type_name for row in rows):
            setattr(tracker, STORED_EVENTS, stored + len(rows))

    SQLTrackerStore._retrieve = _retrieve
    SQLTrackerStore.save = save


KEPT_TRACKERS = 256  # conversations whose tracker stays in memory between turns (LRU; ~0.2 MB each late in an order)


def keep_trackers() -> None:
    """Every turn Rasa's SQL store loads the session's events, json-decodes them and
    replays them into a new tracker (~150 events late in an order), so a turn costs more
    the longer the conversation. Here the tracker a save has just stored is kept in
    memory (the last KEPT_TRACKERS conversations) with the id of its last stored event,
    and the next load of that conversation takes it back, after one indexed query shows
    that the stored events still end there (no other process or worker wrote to it). A
    kept tracker is taken out while a turn uses it: a turn that fails before its save
    leaves nothing behind, and the next load reads the database as Rasa does. Only a
    tracker holding exactly what is stored is kept (save_without_count's count, none
    after a new session), for this store's domain, never a full (all-sessions) tracker.
    Needs save_without_count."""
    from collections import OrderedDict

    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    kept: "OrderedDict[tuple, tuple]" = OrderedDict()  # (store, sender) -> (last id, domain, tracker)
    rasa_retrieve = SQLTrackerStore.retrieve
    store_save = SQLTrackerStore.save
    events = SQLTrackerStore.SQLEvent.__table__
    last_id = sa.select(sa.func.max(events.c.id)).where(events.c.sender_id == sa.bindparam("sender_id"))

    def last_stored(store: SQLTrackerStore, sender_id: str) -> Any:
        with store.session_scope() as session:
            return session.execute(last_id, {"sender_id": sender_id}).scalar()

    async def retrieve(self: SQLTrackerStore, sender_id: str) -> Any:
        entry = kept.pop((id(self), sender_id), None)
        if entry is not None:
            stored_id, domain, tracker = entry
            if domain is self.domain and stored_id == last_stored(self, sender_id) \
                    and getattr(tracker, STORED_EVENTS, None) == len(tracker.events):
                return tracker
        return await rasa_retrieve(self, sender_id)

    async def save(self: SQLTrackerStore, tracker: Any) -> None:
        key = (id(self), tracker.sender_id)
        kept.pop(key, None)
        await store_save(self, tracker)
        if getattr(tracker, STORED_EVENTS, None) == len(tracker.events) and tracker.events:
            kept[key] = (last_stored(self, tracker.sender_id), self.domain, tracker)
            while len(kept) > KEPT_TRACKERS:
                kept.popitem(last=False)

    SQLTrackerStore.retrieve = retrieve
    SQLTrackerStore.save = save


def sqlite_wal_and_pool() -> None:
    """Rasa opens its SQLite tracker database through SQLAlchemy 1.4's NullPool (a new
    connection, schema read included, for every load and every save) in the default
    `delete` journal mode (every COMMIT rewrites and fsyncs a rollback journal). Here the
    connections are kept in a pool, and each is set to WAL with synchronous=NORMAL: a
    commit appends to the write-ahead log and does not fsync; readers (the staff console,
    in its own process) never block the writer. Safe for a local file: an application
    crash loses nothing committed; only a power cut or an OS crash can lose the last
    turns' events (never an order: those are in the order database, stored by the action
    server). Other databases are untouched."""
    import sqlalchemy as sa
    from rasa.core import tracker_store
    from sqlalchemy.pool import QueuePool

    rasa_kwargs = tracker_store.create_engine_kwargs

    def create_engine_kwargs(url: Any) -> Dict[str, Any]:
        kwargs = rasa_kwargs(url)
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            # One connection per checkout, never shared by two threads at once.
            kwargs.setdefault("poolclass", QueuePool)
            kwargs.setdefault("connect_args", {})["check_same_thread"] = False
        return kwargs

    rasa_init = tracker_store.SQLTrackerStore.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        rasa_init(self, *args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _wal_normal)
            self.engine.dispose()  # the connections made before the listener

    tracker_store.create_engine_kwargs = create_engine_kwargs
    tracker_store.SQLTrackerStore.__init__ = __init__


def _wal_normal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


ACTION_KEEPALIVE_S = 2.0  # under Sanic's 5 s keep-alive on the action server: never reused as it closes


def keep_action_connections() -> None:
    """Rasa's `EndpointConfig.request` makes a new aiohttp ClientSession, so a new TCP
    connection, for every call to the action server (two per order turn). Here every
    session of one event loop shares one connector that keeps connections alive for
    ACTION_KEEPALIVE_S and is not closed with the session; headers, auth and timeout are
    still each endpoint's own (Rasa's `session()` is called for them)."""
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    connectors: Dict[int, Any] = {}  # id(loop) -> (loop, its connector)

    def session(self: EndpointConfig) -> aiohttp.ClientSession:
        import asyncio

        loop = asyncio.get_running_loop()
        kept = connectors.get(id(loop))
        if kept is None or kept[0] is not loop or kept[1].closed:
            kept = connectors[id(loop)] = (loop, aiohttp.TCPConnector(keepalive_timeout=ACTION_KEEPALIVE_S))
        connector = kept[1]
        # As Rasa's session(): the endpoint's headers, basic auth and Rasa's timeout.
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        return aiohttp.ClientSession(headers=self.headers, auth=auth,
                                     timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                                     connector=connector, connector_owner=False)

    EndpointConfig.session = session


def _dumps(value: Any) -> str:
    """ujson (in the lock through Sanic), about 3 times faster than json on a tracker; the
    same JSON value (floats round-trip exactly), so the action server reads the same
    tracker; json.dumps for anything ujson refuses."""
    import json

    import ujson

    try:
        return ujson.dumps(value, escape_forward_slashes=False)  # ASCII, as json.dumps
    except (TypeError, ValueError, OverflowError, UnicodeError):
        return json.dumps(value)


def encode_action_calls_fast() -> None:
    """Every action server call carries the whole tracker as JSON (two calls per order
    turn, ~150 events late in an order): aiohttp's json.dumps of it was ~7 % of a turn.
    Sessions from `EndpointConfig.session` (Rasa's or keep_alive's) encode with _dumps."""
    from rasa.utils.endpoints import EndpointConfig

    make_session = EndpointConfig.session

    def session(self: EndpointConfig) -> Any:
        made = make_session(self)
        made._json_serialize = _dumps
        return made

    EndpointConfig.session = session


def validate_replies_by_event_type() -> None:
    """Rasa's schema for an action server's reply checks each event against a `oneOf` of
    23 event schemas, so every event is validated 23 times (22 failures, each building
    ValidationErrors): still ~12 % of a turn with the validator built once. Each of the 23
    requires its own `event` name (a `const`), so an event naming one of them can match no
    other: here an event is checked against the outer event schema and the one schema of
    its name, which is the same answer for it. Anything else (no `event` text, a name no
    schema has, any failure) goes to the validation it replaces, which gives Rasa's answer
    and Rasa's error. Nothing is changed if Rasa's schema no longer has that shape
    (tests/test_rasa_patches.py fails then)."""
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    events_schema = schema["properties"]["events"]
    event_schema = events_schema["items"]
    branches = event_schema["oneOf"]
    names = [branch.get("properties", {}).get("event", {}).get("const") for branch in branches]
    if set(events_schema) != {"type", "items"} or events_schema["type"] != "array" \
            or not all(isinstance(name, str) for name in names) or len(set(names)) != len(names):
        return
    validator_class = validators.validator_for(schema)
    outer = {key: value for key, value in event_schema.items() if key != "oneOf"}
    by_name = {name: validator_class({**outer, "allOf": [branch]}) for name, branch in zip(names, branches, strict=True)}
    reply = validator_class({**schema, "properties": {**schema["properties"], "events": {"type": "array"}}})
    validate_fully = RemoteAction._validate_action_result

    def event_valid(event: Any) -> bool:
        name = event.get("event") if isinstance(event, dict) else None
        return isinstance(name, str) and name in by_name and by_name[name].is_valid(event)

    def validate_action_result(self: Any, result: dict) -> bool:
        if reply.is_valid(result) and all(event_valid(event) for event in result.get("events", [])):
            return True
        return validate_fully(self, result)

    RemoteAction._validate_action_result = validate_action_result


def _graph_value(value: Any, results: Dict[str, Any]) -> Any:
    """A value of a dask graph as dask's synchronous scheduler computes it (dask.core's
    `_execute_task`): a task (a tuple whose first item is callable) is called with its
    arguments' values, a list is each of its items' value, a key already computed is its
    result, anything else is itself (Rasa's inputs are `(name, value)` literals)."""
    if isinstance(value, list):
        return [_graph_value(item, results) for item in value]
    if isinstance(value, tuple) and value and callable(value[0]):
        return value[0](*(_graph_value(argument, results) for argument in value[1:]))
    try:
        return results.get(value, value)
    except TypeError:  # unhashable: a literal
        return value


def _graph_keys(value: Any, graph: Dict[str, Any]) -> List[str]:
    """The keys of `graph` a value needs, in the order its arguments name them."""
    if isinstance(value, list):
        return [key for item in value for key in _graph_keys(item, graph)]
    if isinstance(value, tuple) and value and callable(value[0]):
        return [key for argument in value[1:] for key in _graph_keys(argument, graph)]
    try:
        return [value] if value in graph else []
    except TypeError:
        return []


def _graph_sequence(graph: Dict[str, Any]) -> List[str]:
    """Every key of the graph, each after the keys it needs (depth first, in key order)."""
    sequence: List[str] = []
    placed: set = set()
    for root in graph:
        stack = [(root, False)]
        while stack:
            key, expanded = stack.pop()
            if key in placed:
                continue
            if expanded:
                placed.add(key)
                sequence.append(key)
                continue
            stack.append((key, True))
            stack.extend((need, False) for need in reversed(_graph_keys(graph[key], graph)) if need not in placed)
    return sequence


def run_graphs_in_order() -> None:
    """Rasa runs its model graph (the NLU pipeline for every message, the policies for
    every prediction) through dask's synchronous scheduler: per run it orders the graph
    (dask.order) and feeds each task through futures, callbacks and a state machine, ~8 %
    of a turn beside the components' own work. Here a runner orders the same graph once
    per set of targets and inputs (every node after the nodes it needs) and then computes
    each task in that order as dask does (_graph_value): the same nodes with the same
    arguments, the same results, Rasa's GraphRunError for a RuntimeError. Nodes that do
    not need each other may run in another order than dask's (the domain and rule-data
    providers of the policy graph): those only hand out what the model stored."""
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    def run(self: DaskGraphRunner, inputs: Optional[Dict[str, Any]] = None,
            targets: Optional[List[str]] = None) -> Dict[str, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        minimal_schema = self._graph_schema.minimal_graph_schema(run_targets)
        run_graph = self._build_dask_graph(minimal_schema)
        if inputs:
            self._add_inputs_to_graph(inputs, run_graph)
        sequences = self.__dict__.setdefault("_bespoke_sequences", {})
        key = (tuple(run_targets), tuple(sorted(inputs or ())))
        if key not in sequences:
            sequences[key] = _graph_sequence(run_graph)
        results: Dict[str, Any] = {}
        try:
            for name in sequences[key]:
                results[name] = _graph_value(run_graph[name], results)
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(results[target] for target in run_targets)

    run.__doc__ = DaskGraphRunner.run.__doc__
    DaskGraphRunner.run = run


def _same_value(old: Any, new: Any) -> bool:
    return type(old) is type(new) and old == new  # True is not 1, 1 is not 1.0


def forms_without_repeated_requested_slot() -> None:
    """A Rasa form ends every turn it asks again for the same slot with
    `SlotSet("requested_slot", <that slot>)` (FormAction.request_next_slot), so an order
    stores, reloads, replays and sends to the action server one such no-op event per turn.
    Here a form's reply leaves out a requested_slot SlotSet that gives the slot the value
    it already has (already set, same value and type), the reply's own earlier
    requested_slot events applied first. Safe: requested_slot does not influence the
    conversation (Rasa featurizes slot values, never SlotSet events) and the tracker after
    the reply is the same; the form decides on its own event list (is_done, validation)
    before the reply leaves it; nothing is left out after an event that is not a SlotSet,
    a bot message or an ActiveLoop (a reset, a restart: the value is no longer known)."""
    from rasa.core.actions.forms import FormAction
    from rasa.shared.core.constants import REQUESTED_SLOT
    from rasa.shared.core.events import ActiveLoop, BotUttered, SlotSet

    rasa_run = FormAction.run

    async def run(self: FormAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
        events = await rasa_run(self, output_channel, nlg, tracker, domain)
        slot = tracker.slots.get(REQUESTED_SLOT)
        if slot is None:
            return events
        followed, known, value = True, slot.has_been_set, slot.value
        kept = []
        for event in events:
            if not isinstance(event, (SlotSet, BotUttered, ActiveLoop)):
                followed = False  # from here on, what the slot holds is not followed
            elif isinstance(event, SlotSet) and event.key == REQUESTED_SLOT:
                if followed and known and _same_value(value, event.value):
                    continue
                known, value = True, event.value
            kept.append(event)
        return kept

    run.__doc__ = rasa_run.__doc__
    FormAction.run = run


TURN_PATCHES: Dict[str, Callable[[], None]] = {
    "event_types": cache_event_types,
    "save_without_count": save_without_count,
    "tracker_cache": keep_trackers,  # after save_without_count: it keeps what that save stored
    "sqlite_wal": sqlite_wal_and_pool,
    "keep_alive": keep_action_connections,
    "json_calls": encode_action_calls_fast,  # after keep_alive: it wraps whichever session() is there
    "form_requested_slot": forms_without_repeated_requested_slot,
    "reply_schema": validate_replies_by_event_type,  # wraps the validator main() installs first
    "graph_in_order": run_graphs_in_order,
}


def apply_turn_patches(off: str = "") -> List[str]:
    """Every patch of TURN_PATCHES but those named in `off` (comma-separated, or "all"),
    which only the benchmark sets, to measure each patch's effect. Returns those applied."""
    names = {name.strip() for name in off.split(",") if name.strip()}
    unknown = names - set(TURN_PATCHES) - {"all"}
    if unknown:
        raise SystemExit(f"BESPOKE_BENCH_RASA_PATCHES_OFF: unknown patches {sorted(unknown)}; known: {sorted(TURN_PATCHES)}")
    applied = [name for name in TURN_PATCHES if "all" not in names and name not in names]
    if "tracker_cache" in applied and "save_without_count" not in applied:
        applied.remove("tracker_cache")  # it keeps only trackers whose stored count that save knows
    for name in applied:
        TURN_PATCHES[name]()
    return applied


# ---------------------------------------------------------------------------------------
# The start: Rasa without TensorFlow (issue 12: RSS <= 500 MB, ready <= 10 s)

# Rasa modules imported at start by modules the server runs, and needing TensorFlow only for
# functions the server never calls here. rasa.core.actions.action -> core.policies.policy ->
# core.featurizers -> nlu.extractors.extractor (and crf_entity_extractor) `import
# rasa.utils.train_utils` for a few functions, and train_utils imports
# rasa.utils.tensorflow.callback, whose classes subclass tf.keras ones: TensorFlow's import
# (4.4 s, ~320 MB) at every start, for a model without a TensorFlow component.
DEFERRED_MODULES = frozenset({"rasa.utils.train_utils"})


class _LazyModuleWithSpec(importlib.util._LazyModule):  # type: ignore[name-defined, misc]
    """importlib's lazy module (its module is executed at the first attribute read), which
    gives its `__spec__` without executing it: every `import` of a module already in
    sys.modules reads `__spec__` (is it still being initialised?), so with importlib's own
    the second `import rasa.utils.train_utils` would execute it."""

    def __getattribute__(self, attr: str) -> Any:
        if attr == "__spec__":
            return object.__getattribute__(self, "__spec__")
        return super().__getattribute__(attr)


class _DeferredLoader(importlib.util.LazyLoader):
    def exec_module(self, module: Any) -> None:
        super().exec_module(module)
        module.__class__ = _LazyModuleWithSpec


class DeferModules(importlib.abc.MetaPathFinder):
    """Finds the modules named (on sys.path, as Python's own path finder does) with a lazy
    loader: `import` gives the module at once and executes it when an attribute of it is
    first read, so code that needs it (a DIET model, finetuning) still gets all of it."""

    def __init__(self, names: frozenset) -> None:
        self.names = names

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _DeferredLoader(spec.loader)
        return spec


def read_train_schema_on_use() -> None:
    """A model keeps its train schema (what `rasa train` ran, for finetuning) beside its
    predict schema, and Rasa's `ModelMetadata.from_dict` imports the class of every node of
    both: the train schema's recipe validator (DefaultV1RecipeValidator) imports DIET,
    ResponseSelector and TED, so TensorFlow. Here the train schema imports its classes when
    it is first used (its `nodes`: training, finetuning), then is Rasa's GraphSchema; the
    predict schema, which serves, is read as Rasa reads it (a missing class fails the load)."""
    from rasa.engine.graph import GraphSchema
    from rasa.engine.storage.storage import ModelMetadata

    class TrainSchemaOnUse(GraphSchema):
        def __init__(self, serialized: Dict[str, Any]) -> None:  # no nodes yet: not the dataclass's
            self._serialized = serialized

        @property  # type: ignore[override]
        def nodes(self) -> Dict[str, Any]:
            nodes = GraphSchema.from_dict(copy.deepcopy(self._serialized)).nodes  # it fills in what it is given
            self.__class__ = GraphSchema
            del self._serialized
            self.nodes = nodes
            return nodes

        def __eq__(self, other: object) -> bool:
            return self.nodes == other.nodes if isinstance(other, GraphSchema) else NotImplemented

    rasa_from_dict = ModelMetadata.from_dict.__func__

    def from_dict(cls: type, serialized: Dict[str, Any]) -> Any:
        metadata = rasa_from_dict(cls, {**serialized, "train_schema": {"nodes": {}}})
        metadata.train_schema = TrainSchemaOnUse(serialized["train_schema"])
        return metadata

    from_dict.__doc__ = rasa_from_dict.__doc__
    ModelMetadata.from_dict = classmethod(from_dict)


def defer_tensorflow() -> None:
    """Rasa serves without importing TensorFlow (nor keras, tensorflow_hub, ...) while no
    component of the model needs it: the modules of DEFERRED_MODULES are executed when first
    used, and a model's train schema is read when first used. A model with a TensorFlow
    component (DIET, TED), training through Rasa's API, or `rasa test` import it then, as
    Rasa always does. Before any Rasa import: a module already imported stays as it is."""
    if not any(isinstance(finder, DeferModules) for finder in sys.meta_path):
        sys.meta_path.insert(0, DeferModules(DEFERRED_MODULES))
    read_train_schema_on_use()
