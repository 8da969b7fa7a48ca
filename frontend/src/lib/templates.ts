/**
 * The template gallery: ready-made workflows (templates/templates.json, one file the
 * canvas and the Python e2e test both read). Starting from one creates a workflow whose
 * version 1 is the template's spec.
 */
import type { WorkflowSpec } from '../api/types';
import templatesJson from '../templates/templates.json';

export interface Template {
  id: string;
  name: string;
  description: string;
  tags: string[];
  spec: WorkflowSpec;
}

export const TEMPLATES: readonly Template[] = templatesJson as unknown as Template[];

/** Node types a template uses, in order of first use (shown on its card). */
export function templateNodeTypes(template: Template): string[] {
  return [...new Set(template.spec.nodes.map((n) => n.type))];
}

/** A copy of the template's spec to create a workflow from (never the shared object). */
export function specFromTemplate(template: Template, name = template.spec.name): WorkflowSpec {
  return { ...structuredClone(template.spec), name };
}
