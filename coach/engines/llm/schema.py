"""The compact models the LLM answers with, and the strict JSON schemas built from them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from coach.plans.models import Intensity, SegmentKind, WorkoutType

# Short keys cut completion tokens (they dominate latency and cost); the prompt explains
# them once per request. The engine fills in everything it already knows (week, date,
# phase, title, description, targets from thresholds) so the model never writes it.


class _Compact(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LLMStep(_Compact):
    i: Intensity = Field(description="intensity")
    min: float = Field(gt=0, description="minutes")
    z: int = Field(ge=1, le=5, description="zone 1-5")


class LLMSegment(_Compact):
    k: SegmentKind = Field(description="kind")
    x: int = Field(ge=1, le=50, description="repeats")
    st: list[LLMStep] = Field(min_length=1, description="steps")


class LLMWorkout(_Compact):
    d: int = Field(ge=1, le=7, description="day of the week, 1-7")
    t: WorkoutType = Field(description="workout type")
    min: float = Field(gt=0, description="total minutes")
    km: float = Field(ge=0, description="total kilometres")
    seg: list[LLMSegment] = Field(min_length=1, description="segments")

    def segment_minutes(self) -> float:
        return sum(seg.x * sum(step.min for step in seg.st) for seg in self.seg)


class LLMWeek(_Compact):
    """One week's answer. `week` first so a wrong week shows before any workout."""

    week: int = Field(ge=1, le=52)
    workouts: list[LLMWorkout]


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema in the form strict structured outputs accept: refs inlined,
    every property required, no extra properties, no titles or defaults."""
    raw = model.model_json_schema()
    defs = raw.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
        out = {k: walk(v) for k, v in node.items() if k not in ("title", "default")}
        if out.get("type") == "object":
            out["additionalProperties"] = False
            out["required"] = list(out.get("properties", {}))
        return out

    schema = walk(raw)
    assert isinstance(schema, dict)
    return schema


def response_format(model: type[BaseModel], name: str) -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "schema": strict_schema(model), "strict": True},
    }


WEEK_FORMAT: dict[str, Any] = response_format(LLMWeek, "training_week")


def llama_cpp_week_format(week: int, days: list[int]) -> dict[str, Any]:
    """The week schema for llama-cpp-python's server, which takes it as a grammar under
    `json_object` and ignores minimum/maximum: enums and item caps stand in for them, so a
    small model cannot write day 30 or zone 7 and has to close the array."""
    schema = strict_schema(LLMWeek)
    props = schema["properties"]
    props["week"] = {"type": "integer", "enum": [week]}
    props["workouts"]["maxItems"] = len(days)
    workout = props["workouts"]["items"]
    workout["properties"]["d"] = {"type": "integer", "enum": days}
    segments = workout["properties"]["seg"]
    segments["maxItems"] = 3
    segment = segments["items"]
    segment["properties"]["x"] = {"type": "integer", "enum": list(range(1, 13))}
    steps = segment["properties"]["st"]
    steps["maxItems"] = 3
    steps["items"]["properties"]["z"] = {"type": "integer", "enum": [1, 2, 3, 4, 5]}
    return {"type": "json_object", "schema": schema}
