/** The outgoing route labels of a node: one canvas handle each (mirrors Node.route_labels). */
import type { JsonObject, JsonValue } from '../api/types';

export const KNOWN_ROUTERS = new Set(['if_else', 'switch']);

export function routeLabels(type: string, config: JsonObject | undefined): string[] | null {
  if (type === 'if_else') return ['true', 'false'];
  if (type === 'switch') {
    const labels: string[] = [];
    const cases = config?.['cases'];
    if (Array.isArray(cases)) {
      for (const item of cases) {
        const label = isObject(item) ? item['label'] : undefined;
        if (typeof label === 'string' && label.trim() && !labels.includes(label)) labels.push(label);
      }
    }
    const fallback = config?.['default_label'];
    const def = typeof fallback === 'string' && fallback.trim() ? fallback : 'default';
    if (!labels.includes(def)) labels.push(def);
    return labels;
  }
  return null;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
