"""Tools as function-calling definitions for OpenAI (Chat Completions, Responses) and Anthropic
Messages, as plain dicts (no dependency on their SDKs), and helpers that answer a model's tool
calls with the tool-result message in that provider's shape, run through ``execute_tool``.

Model responses may be the official SDKs' objects or plain dicts: fields are read either way::

    toolkit = client.tools.toolkit("user_123")
    completion = openai.chat.completions.create(model=model, messages=messages, tools=toolkit.openai_chat_tools())
    messages += [completion.choices[0].message, *toolkit.openai_chat_tool_messages(completion.choices[0].message)]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Protocol, Sequence, Union

from .errors import ToolExecutionError, ToolproxyApiError, ToolUnauthorizedError
from .models import AvailableTool, ScopedTool, Tool, ToolExecution

ToolSource = Union[Tool, ScopedTool, AvailableTool, Mapping[str, Any]]


class ToolExecutor(Protocol):
    def execute_tool(self, tool_name: str, tool_input: Optional[Mapping[str, Any]] = None, **route: Any) -> ToolExecution: ...


def _field(value: Any, name: str, default: Any = None) -> Any:
    """A field of an SDK object or of a dict."""
    if isinstance(value, Mapping):
        return value.get(name, default)
    return getattr(value, name, default)


@dataclass
class FunctionSpec:
    name: str
    description: str
    parameters: Dict[str, Any]
    #: Keyword arguments of ``execute_tool`` that say which account runs it.
    route: Dict[str, Any]


def object_schema(schema: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """The input schema as function-calling APIs take it: an object with ``properties``, no top-level ``$schema``/``$id``."""
    result = {k: v for k, v in (schema or {}).items() if k not in ("$schema", "$id")}
    result["type"] = "object"
    if not isinstance(result.get("properties"), Mapping):
        result["properties"] = {}
    return result


def function_specs(tools: Sequence[ToolSource], route: Optional[Mapping[str, Any]] = None) -> List[FunctionSpec]:
    """One spec per tool name (the first wins: a connector with two connections is listed once per
    connection, and models refuse duplicate names). A scoped entry (or a connected available one)
    runs on its own account; anything else on ``route``."""
    base = dict(route or {})
    seen = set()
    specs: List[FunctionSpec] = []
    for source in tools:
        account_id: Optional[str] = None
        if isinstance(source, (ScopedTool, AvailableTool)):
            definition, account_id = source.tool.definition, source.connected_account_id
        elif isinstance(source, Tool):
            definition = source.definition
        else:
            definition = source["definition"] if isinstance(source.get("definition"), Mapping) else source
        name = definition["name"]
        if name in seen:
            continue
        seen.add(name)
        if account_id:
            spec_route = {"connected_account_id": account_id, **{k: v for k, v in base.items() if k in ("organization_id", "user_id")}}
        else:
            spec_route = dict(base)
        description = definition.get("description") or definition.get("display_name") or name
        specs.append(FunctionSpec(name, description, object_schema(definition.get("input_schema")), spec_route))
    return specs


def openai_chat_tools(tools: Sequence[ToolSource]) -> List[Dict[str, Any]]:
    """``tools`` for ``chat.completions.create`` (non-strict: tool schemas use optional members and formats)."""
    return [{"type": "function", "function": {"name": s.name, "description": s.description, "parameters": s.parameters, "strict": False}} for s in function_specs(tools)]


def openai_responses_tools(tools: Sequence[ToolSource]) -> List[Dict[str, Any]]:
    """``tools`` for ``responses.create``."""
    return [{"type": "function", "name": s.name, "description": s.description, "parameters": s.parameters, "strict": False} for s in function_specs(tools)]


def anthropic_tools(tools: Sequence[ToolSource]) -> List[Dict[str, Any]]:
    """``tools`` for Anthropic ``messages.create``."""
    return [{"name": s.name, "description": s.description, "input_schema": s.parameters} for s in function_specs(tools)]


@dataclass
class ToolCallResult:
    """One tool call's outcome as a model should read it. A refusal (bad input, unknown tool, the
    upstream's 4xx/5xx) is a result too, with ``is_error`` and the error in ``content``."""

    tool_name: str
    is_error: bool
    #: JSON text: the tool's ``data`` (``{"data", "truncation_note"}`` when cut), or
    #: ``{"error": {"code", "message", "problems"?, "authorization_link"?, "upstream_status"?, "upstream_body"?}}``.
    content: str
    data: Any = None
    execution_id: Optional[str] = None
    error: Optional[Dict[str, Any]] = None


def _failed(tool_name: str, error: Dict[str, Any], execution_id: Optional[str] = None) -> ToolCallResult:
    return ToolCallResult(tool_name, True, json.dumps({"error": error}), None, execution_id, error)


def run_tool_call(executor: ToolExecutor, route: Mapping[str, Any], tool_name: str, arguments: Union[str, Mapping[str, Any], None]) -> ToolCallResult:
    """Parses a model's arguments (JSON text or a dict) and runs the tool on ``route``; only a failure to reach the server raises."""
    value: Any = arguments
    if isinstance(arguments, str):
        if not arguments.strip():
            value = {}
        else:
            try:
                value = json.loads(arguments)
            except ValueError as error:
                problem = f"the arguments are not valid JSON ({error})"
                return _failed(tool_name, {"code": "TOOL_INPUT_INVALID", "message": problem, "problems": [{"path": "", "message": problem}]})
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        problem = "the arguments must be a JSON object"
        return _failed(tool_name, {"code": "TOOL_INPUT_INVALID", "message": problem, "problems": [{"path": "", "message": problem}]})
    try:
        result = executor.execute_tool(tool_name, dict(value), **route)
    except ToolproxyApiError as error:
        detail: Dict[str, Any] = {"code": error.code, "message": error.message}
        if error.problems:
            detail["problems"] = error.problems
        if isinstance(error, ToolUnauthorizedError) and error.authorization_link:
            detail["authorization_link"] = error.authorization_link
        if isinstance(error, ToolExecutionError) and error.upstream_status is not None:
            detail["upstream_status"] = error.upstream_status
            detail["upstream_body"] = error.upstream_body
        return _failed(tool_name, detail, getattr(error, "execution_id", None))
    # A cut answer says so, or the model would take the part for the whole.
    content = json.dumps({"data": result.data, "truncation_note": result.truncation_note}) if result.truncated else json.dumps(result.data)
    return ToolCallResult(tool_name, False, content, result.data, result.execution_id)


def openai_chat_tool_message(call: Any, result: ToolCallResult) -> Dict[str, Any]:
    return {"role": "tool", "tool_call_id": _field(call, "id"), "content": result.content}


def openai_responses_tool_output(call: Any, result: ToolCallResult) -> Dict[str, Any]:
    return {"type": "function_call_output", "call_id": _field(call, "call_id"), "output": result.content}


def anthropic_tool_result(use: Any, result: ToolCallResult) -> Dict[str, Any]:
    block = {"type": "tool_result", "tool_use_id": _field(use, "id"), "content": result.content}
    if result.is_error:
        block["is_error"] = True
    return block


class Toolkit:
    """A user's tools for one model conversation: rendered for each provider, and each tool call
    answered in that provider's shape after running it on the account the tool was listed with."""

    def __init__(self, executor: ToolExecutor, tools: Sequence[ToolSource], route: Optional[Mapping[str, Any]] = None) -> None:
        self._executor = executor
        self._tools = list(tools)
        self._route = dict(route or {})
        self._specs = {s.name: s for s in function_specs(self._tools, self._route)}

    @property
    def names(self) -> List[str]:
        return list(self._specs)

    def openai_chat_tools(self) -> List[Dict[str, Any]]:
        return openai_chat_tools(self._tools)

    def openai_responses_tools(self) -> List[Dict[str, Any]]:
        return openai_responses_tools(self._tools)

    def anthropic_tools(self) -> List[Dict[str, Any]]:
        return anthropic_tools(self._tools)

    def run(self, name: str, arguments: Union[str, Mapping[str, Any], None]) -> ToolCallResult:
        """Runs one call by name; a name the kit did not offer (a model's invention) is answered TOOL_NOT_FOUND, never sent."""
        spec = self._specs.get(name)
        if spec is None:
            return _failed(name, {"code": "TOOL_NOT_FOUND", "message": f"No tool named {name} was offered; use one of: {', '.join(self._specs)}."})
        return run_tool_call(self._executor, spec.route, name, arguments)

    def openai_chat_tool_messages(self, message: Any) -> List[Dict[str, Any]]:
        """The ``role: "tool"`` messages answering every function tool call of a chat completion message, in order."""
        calls = [c for c in (_field(message, "tool_calls") or []) if _field(c, "type", "function") == "function" and _field(c, "function") is not None]
        return [openai_chat_tool_message(c, self.run(_field(_field(c, "function"), "name"), _field(_field(c, "function"), "arguments"))) for c in calls]

    def openai_responses_tool_outputs(self, output: Sequence[Any]) -> List[Dict[str, Any]]:
        """The ``function_call_output`` items answering every ``function_call`` of a Responses API output, in order."""
        return [openai_responses_tool_output(item, self.run(_field(item, "name"), _field(item, "arguments"))) for item in output if _field(item, "type") == "function_call"]

    def anthropic_tool_result_message(self, message: Any) -> Dict[str, Any]:
        """The user message answering every ``tool_use`` block of an assistant message, in order."""
        uses = [block for block in (_field(message, "content") or []) if _field(block, "type") == "tool_use"]
        return {"role": "user", "content": [anthropic_tool_result(use, self.run(_field(use, "name"), _field(use, "input"))) for use in uses]}
