/**
 * Credentials on the canvas: which credentials a node's slot can take, and the body of a
 * create / update request checked before it is sent. Secrets only ever travel from the
 * form to the server; the canvas keeps and shows the server's masked `preview`.
 */
import type { Credential, CredentialType, JsonObject, NodeType } from '../api/types';

/** The server checks secret values are at least this long (shorter ones could not be redacted). */
export const MIN_SECRET = 4;

/**
 * Credential slots per node type. The catalog says which credential types a node takes
 * (`credential_types`) but not the slot names, which are the node's own: http_request reads
 * its credential from `auth`. A node type not listed here that takes credentials gets one
 * slot, `auth`.
 */
const SLOTS: Record<string, string[]> = { http_request: ['auth'] };

export function credentialSlots(entry: Pick<NodeType, 'type' | 'credential_types'> | undefined): string[] {
  if (!entry || !entry.credential_types.length) return [];
  return SLOTS[entry.type] ?? ['auth'];
}

/** http_request's `auth` mode -> the one credential type that signs that way. */
const HTTP_AUTH_TYPES: Record<string, string> = { bearer: 'http_bearer', basic: 'http_basic', api_key: 'http_api_key' };

/** The credential types a slot accepts with this config (http_request narrows by its auth mode). */
export function slotTypes(entry: Pick<NodeType, 'type' | 'credential_types'>, config: JsonObject): string[] {
  if (entry.type === 'http_request') {
    const wanted = HTTP_AUTH_TYPES[String(config['auth'] ?? 'none')];
    return wanted ? [wanted] : [];
  }
  return entry.credential_types;
}

/** Whether a workflow's runs may use the credential (`global`, or scoped to this workflow). */
export function inScope(credential: Pick<Credential, 'scope'>, workflowId: string | undefined): boolean {
  return credential.scope === 'global' || (workflowId !== undefined && credential.scope === `workflow:${workflowId}`);
}

/** Credentials offered in a slot's picker, by name. */
export function pickable(list: Credential[], types: string[], workflowId: string | undefined): Credential[] {
  return list.filter((c) => types.includes(c.type) && inScope(c, workflowId)).sort((a, b) => a.name.localeCompare(b.name));
}

/** A spec names a credential by id or name: find it either way. */
export function findCredential(list: Credential[], ref: string | undefined): Credential | undefined {
  if (!ref) return undefined;
  return list.find((c) => c.id === ref) ?? list.find((c) => c.name === ref);
}

export interface CredentialForm {
  name: string;
  type: string;
  scope: string;
  /** Secret field -> value; for `generic`, the rows the user added. */
  secret: Record<string, string>;
  settings: Record<string, string>;
}

export type FormErrors = Record<string, string>;

/** The secret fields a type's form asks for (generic: whatever the user names). */
export function secretFields(type: CredentialType | undefined, form: CredentialForm): string[] {
  if (!type) return [];
  if (type.any_secret_fields) return Object.keys(form.secret);
  return [...type.secret_fields, ...type.optional_secret_fields];
}

/**
 * The POST body for a new credential, or the problems that would make the server refuse
 * it, keyed like the server's `details.field` (`name`, `secret.token`, `settings.username`).
 */
export function createBody(
  type: CredentialType | undefined,
  form: CredentialForm,
): { body: { name: string; type: string; scope: string; secret: Record<string, string>; settings: Record<string, string> } | null; errors: FormErrors } {
  const errors: FormErrors = {};
  if (!form.name.trim()) errors['name'] = 'A name is required.';
  if (!type) errors['type'] = 'Choose a type.';
  const secret = checkSecret(type, form, errors, true);
  const settings: Record<string, string> = {};
  for (const key of type?.settings ?? []) {
    const value = (form.settings[key] ?? '').trim() || type?.setting_defaults[key] || '';
    if (value) settings[key] = value;
    else if (type?.required_settings.includes(key)) errors[`settings.${key}`] = `${key} is required.`;
  }
  if (Object.keys(errors).length || !type) return { body: null, errors };
  return { body: { name: form.name.trim(), type: type.type, scope: form.scope || 'global', secret, settings }, errors };
}

/** The secret of an update: empty (keep the stored one) or every field anew. */
export function updateSecret(type: CredentialType | undefined, form: CredentialForm): { secret: Record<string, string> | null; errors: FormErrors } {
  const errors: FormErrors = {};
  const typed = Object.values(form.secret).some((v) => v !== '');
  if (!typed) return { secret: null, errors };
  const secret = checkSecret(type, form, errors, true);
  return { secret: Object.keys(errors).length ? null : secret, errors };
}

function checkSecret(type: CredentialType | undefined, form: CredentialForm, errors: FormErrors, required: boolean): Record<string, string> {
  const secret: Record<string, string> = {};
  if (!type) return secret;
  const names = secretFields(type, form);
  if (type.any_secret_fields && !names.length) errors['secret'] = 'Add at least one secret field.';
  for (const field of names) {
    const value = form.secret[field] ?? '';
    const optional = type.optional_secret_fields.includes(field);
    if (!value) {
      if (required && !optional) errors[`secret.${field}`] = `${field} is required.`;
      continue;
    }
    if (type.any_secret_fields && !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(field)) {
      errors[`secret.${field}`] = `${field} is not a valid field name (letters, digits, _).`;
    } else if (value.length < MIN_SECRET) {
      errors[`secret.${field}`] = `${field} must be at least ${MIN_SECRET} characters: a shorter secret could not be redacted from run outputs.`;
    }
    secret[field] = value;
  }
  return secret;
}
