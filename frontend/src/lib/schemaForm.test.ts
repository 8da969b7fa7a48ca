import { describe, expect, it } from 'vitest';
import type { NodeType } from '../api/types';
import catalogJson from '../test/catalog.json';
import { describeObject, emptyValue, formatLiteral, initialConfig, parseLiteral, validateConfig } from './schemaForm';

// Real catalog entries, as GET /api/nodes served them.
const catalog = catalogJson as unknown as Record<string, NodeType>;

describe('schema -> form fields', () => {
  it('builds fields for HTTP Request with kinds, required and enum options', () => {
    const fields = describeObject(catalog['http_request']!.config_schema);
    const byKey = Object.fromEntries(fields.map((f) => [f.key, f]));
    expect(byKey['url']).toMatchObject({ kind: 'string', required: true, title: 'Url' });
    expect(byKey['method']).toMatchObject({ kind: 'enum', default: 'GET' });
    expect(byKey['method']!.options).toContain('POST');
    expect(byKey['headers']).toMatchObject({ kind: 'map' });
    expect(byKey['timeout']?.kind).toBe('number');
  });

  it('resolves $ref list items for If/Else conditions', () => {
    const fields = describeObject(catalog['if_else']!.config_schema);
    const conditions = fields.find((f) => f.key === 'conditions')!;
    expect(conditions.kind).toBe('array');
    expect(conditions.item!.kind).toBe('object');
    expect(conditions.item!.fields!.map((f) => [f.key, f.kind])).toEqual([
      ['left', 'any'],
      ['operator', 'enum'],
      ['right', 'any'],
    ]);
    expect(emptyValue(conditions.item!)).toEqual({});
  });

  it('unwraps nullable anyOf and keeps Switch cases as a list of objects', () => {
    const debug = describeObject(catalog['debug']!.config_schema);
    expect(debug.find((f) => f.key === 'keys')).toMatchObject({ kind: 'array', nullable: true });
    const cases = describeObject(catalog['switch']!.config_schema).find((f) => f.key === 'cases')!;
    expect(cases.item!.fields!.find((f) => f.key === 'label')).toMatchObject({ required: true, kind: 'string' });
  });

  it('validates inline: required, enum, number bounds, nested list items', () => {
    const http = describeObject(catalog['http_request']!.config_schema);
    expect(validateConfig(http, { method: 'XX' })).toMatchObject({
      url: 'Url is required',
      method: expect.stringContaining('must be one of GET, POST'),
    });
    expect(validateConfig(http, { url: 'https://x', timeout: 'soon' })).toEqual({ timeout: 'Timeout must be a number' });
    const sw = describeObject(catalog['switch']!.config_schema);
    expect(validateConfig(sw, { cases: [{ label: 'a' }, { label: '' }] })).toEqual({ 'cases.1.label': 'Label is required' });
    expect(validateConfig(http, { url: 'https://x' })).toEqual({});
  });

  it('starts a new node with its required containers', () => {
    expect(initialConfig({ type: 'object', properties: { values: { type: 'object' } }, required: ['values'] })).toEqual({ values: {} });
    expect(initialConfig(catalog['http_request']!.config_schema)).toEqual({});
  });

  it('reads untyped text boxes as literals', () => {
    expect(parseLiteral('100')).toBe(100);
    expect(parseLiteral('true')).toBe(true);
    expect(parseLiteral('{{ state.total }}')).toBe('{{ state.total }}');
    expect(parseLiteral('[1, 2]')).toEqual([1, 2]);
    expect(parseLiteral('[oops')).toBe('[oops');
    expect(formatLiteral(100)).toBe('100');
    expect(formatLiteral('hi')).toBe('hi');
  });
});
