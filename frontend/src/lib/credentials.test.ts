import { describe, expect, it } from 'vitest';
import type { Credential, CredentialType, NodeType } from '../api/types';
import nodesJson from '../test/nodes.json';
import { createBody, credentialSlots, findCredential, pickable, slotTypes, updateSecret, type CredentialForm } from './credentials';

const CATALOG = new Map((nodesJson as unknown as NodeType[]).map((n) => [n.type, n]));

// GET /api/credentials/types as the local stack answers it (two of the five).
const BEARER: CredentialType = {
  type: 'http_bearer',
  description: '',
  secret_fields: ['token'],
  optional_secret_fields: [],
  any_secret_fields: false,
  settings: ['test_url'],
  required_settings: [],
  setting_defaults: {},
  testable: true,
};
const BASIC: CredentialType = { ...BEARER, type: 'http_basic', secret_fields: ['password'], settings: ['username', 'test_url'], required_settings: ['username'] };
const GENERIC: CredentialType = { ...BEARER, type: 'generic', secret_fields: [], any_secret_fields: true, settings: [], testable: false };

const cred = (id: string, name: string, type: string, scope = 'global'): Credential => ({
  id,
  name,
  type,
  scope,
  preview: 'ghp_…5678',
  fields: ['token'],
  settings: {},
  revision: 1,
  created_at: 0,
  updated_at: 0,
});

const form = (over: Partial<CredentialForm>): CredentialForm => ({ name: 'github', type: 'http_bearer', scope: 'global', secret: {}, settings: {}, ...over });

describe('credential slots and pickers', () => {
  it('gives http_request one auth slot and nodes without credential types none', () => {
    expect(credentialSlots(CATALOG.get('http_request'))).toEqual(['auth']);
    expect(credentialSlots(CATALOG.get('set_variable'))).toEqual([]);
  });

  it("narrows http_request's slot to the credential type of its auth mode", () => {
    const http = CATALOG.get('http_request')!;
    expect(slotTypes(http, { auth: 'bearer' })).toEqual(['http_bearer']);
    expect(slotTypes(http, { auth: 'basic' })).toEqual(['http_basic']);
    expect(slotTypes(http, { auth: 'none' })).toEqual([]);
  });

  it('offers credentials of the right type in scope, found by id or name', () => {
    const list = [cred('c1', 'zeta', 'http_bearer'), cred('c2', 'alpha', 'http_bearer'), cred('c3', 'pw', 'http_basic'), cred('c4', 'other', 'http_bearer', 'workflow:x')];
    expect(pickable(list, ['http_bearer'], 'wf').map((c) => c.name)).toEqual(['alpha', 'zeta']);
    expect(pickable(list, ['http_bearer'], 'x').map((c) => c.name)).toEqual(['alpha', 'other', 'zeta']);
    expect(findCredential(list, 'c3')?.name).toBe('pw');
    expect(findCredential(list, 'alpha')?.id).toBe('c2');
  });
});

describe('credential forms', () => {
  it('builds the create body and leaves defaults to the type', () => {
    const { body, errors } = createBody(BEARER, form({ secret: { token: 'ghp_abcdefgh' }, settings: { test_url: ' https://api.test/me ' } }));
    expect(errors).toEqual({});
    expect(body).toEqual({ name: 'github', type: 'http_bearer', scope: 'global', secret: { token: 'ghp_abcdefgh' }, settings: { test_url: 'https://api.test/me' } });
  });

  it('names the field the server would refuse, as the server names it', () => {
    expect(createBody(BEARER, form({ name: ' ', secret: { token: 'abc' } })).errors).toEqual({
      name: 'A name is required.',
      'secret.token': expect.stringContaining('at least 4'),
    });
    expect(createBody(BASIC, form({ type: 'http_basic', secret: { password: 'hunter22' } })).errors).toEqual({ 'settings.username': 'username is required.' });
    expect(createBody(GENERIC, form({ type: 'generic' })).errors).toEqual({ secret: 'Add at least one secret field.' });
    expect(createBody(GENERIC, form({ type: 'generic', secret: { 'bad name': 'abcdef' } })).errors['secret.bad name']).toContain('not a valid');
  });

  it('keeps the stored secret on an update unless a new one is typed', () => {
    expect(updateSecret(BEARER, form({ secret: { token: '' } }))).toEqual({ secret: null, errors: {} });
    expect(updateSecret(BEARER, form({ secret: { token: 'new-token-1' } })).secret).toEqual({ token: 'new-token-1' });
  });
});
