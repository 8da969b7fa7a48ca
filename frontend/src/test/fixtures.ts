import type { NodeType, WorkflowSpec } from '../api/types';

/** The 4-node If/Else workflow the e2e test builds by hand, as the server stores it. */
export const IF_ELSE_SPEC: WorkflowSpec = {
  name: 'order triage',
  nodes: [
    { id: 'start', type: 'set_variable', config: { values: { total: '{{ state.amount }}' } }, ui: { position: { x: 0, y: 0 } } },
    {
      id: 'check',
      type: 'if_else',
      config: { conditions: [{ left: '{{ state.total }}', operator: 'gt', right: 100 }] },
      ui: { position: { x: 260, y: 0 }, label: 'Big order?' },
    },
    { id: 'big', type: 'set_variable', config: { values: { size: 'big' } }, ui: { position: { x: 520, y: -80 } } },
    { id: 'small', type: 'set_variable', config: { values: { size: 'small' } }, retry: { max_attempts: 2 }, ui: { position: { x: 520, y: 80 } } },
  ],
  edges: [
    { kind: 'static', source: 'start', target: 'check' },
    { kind: 'conditional', source: 'check', routes: { true: 'big', false: 'small' } },
  ],
  state: { amount: { default: 5 } },
};

export const SWITCH_TYPE: NodeType = {
  type: 'switch',
  display_name: 'Switch',
  category: 'flow',
  icon: 'split',
  description: '',
  credential_types: [],
  output_description: '',
  is_router: true,
  config_schema: { type: 'object', properties: {} },
};

export const SET_VARIABLE_TYPE: NodeType = {
  type: 'set_variable',
  display_name: 'Set Variable',
  category: 'data',
  icon: 'variable',
  description: '',
  credential_types: [],
  output_description: '',
  is_router: false,
  config_schema: {
    additionalProperties: false,
    properties: { values: { additionalProperties: true, title: 'Values', type: 'object' } },
    required: ['values'],
    title: 'SetVariableConfig',
    type: 'object',
  },
};
