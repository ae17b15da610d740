# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Render the task graph of a flow definition as text or Graphviz DOT."""


def _tasks(definition):
    tasks = (definition or {}).get('tasks') or {}
    if isinstance(tasks, list):
        # Tolerate a list of single-key mappings, a common YAML slip.
        merged = {}
        for item in tasks:
            if isinstance(item, dict):
                merged.update(item)
        tasks = merged
    return {name: (spec if isinstance(spec, dict) else {})
            for name, spec in tasks.items()}


def _requires(spec):
    requires = spec.get('requires') or []
    return [requires] if isinstance(requires, str) else list(requires)


def stages(definition):
    """Group tasks by stage: a task's stage is 1 + its longest chain.

    :returns: a list of stages, each a sorted list of task names. Tasks on
        a cycle or needing an unknown task (a definition the service would
        refuse) land in a last stage of their own.
    """
    tasks = _tasks(definition)
    depth = {}
    unresolved = set(tasks)
    while unresolved:
        progressed = False
        for name in sorted(unresolved):
            deps = _requires(tasks[name])
            if all(dep in depth for dep in deps):
                depth[name] = 1 + max((depth[d] for d in deps), default=0)
                unresolved.discard(name)
                progressed = True
        if not progressed:
            break
    result = [[] for _ in range(max(depth.values(), default=0))]
    for name, level in depth.items():
        result[level - 1].append(name)
    result = [sorted(stage) for stage in result]
    if unresolved:
        result.append(sorted(unresolved))
    return result


def render_text(definition, title=None):
    """The graph as stages, each task with its type and what it needs."""
    tasks = _tasks(definition)
    lines = []
    if title:
        lines.append(title)
    if not tasks:
        lines.append('(no tasks)')
        return '\n'.join(lines) + '\n'
    width = max(len(name) for name in tasks)
    type_width = max(len(str(spec.get('type', '?')))
                     for spec in tasks.values())
    for number, stage in enumerate(stages(definition), 1):
        lines.append(f'Stage {number}')
        for name in stage:
            spec = tasks[name]
            line = (f'  {name:<{width}}  '
                    f'{str(spec.get("type", "?")):<{type_width}}')
            deps = _requires(spec)
            if deps:
                line += '  <- ' + ', '.join(deps)
            lines.append(line.rstrip())
    return '\n'.join(lines) + '\n'


def _dot_id(text):
    escaped = (str(text).replace('\\', '\\\\').replace('"', '\\"')
               .replace('\n', '\\n'))
    return f'"{escaped}"'


def render_dot(definition, name=None):
    """The graph in Graphviz DOT (``dot -Tsvg`` draws it)."""
    tasks = _tasks(definition)
    name = name or (definition or {}).get('name') or 'flow'
    lines = [f'digraph {_dot_id(name)} {{', '  rankdir=LR;',
             '  node [shape=box];']
    for task in sorted(tasks):
        label = _dot_id(f'{task}\n{tasks[task].get("type", "?")}')
        lines.append(f'  {_dot_id(task)} [label={label}];')
    for task in sorted(tasks):
        for dep in _requires(tasks[task]):
            lines.append(f'  {_dot_id(dep)} -> {_dot_id(task)};')
    lines.append('}')
    return '\n'.join(lines) + '\n'
