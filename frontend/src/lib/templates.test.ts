import { describe, expect, it } from 'vitest';
import type { ConditionalEdgeSpec, JoinEdgeSpec, NodeType, StaticEdgeSpec } from '../api/types';
import nodesJson from '../test/nodes.json';
import { routeLabels } from './routes';
import { describeObject, validateConfig } from './schemaForm';
import { edgeKind, flowToSpec, specToFlow } from './spec';
import { TEMPLATES, specFromTemplate, templateNodeTypes } from './templates';
import { checkTriggers, triggersOf, withTriggerChannels } from './triggers';

// The node catalog as GET /api/nodes answers it (captured from the local stack).
const CATALOG = new Map((nodesJson as unknown as NodeType[]).map((n) => [n.type, n]));
const END = '__end__';

describe('template gallery', () => {
  it('offers at least six templates with unique ids', () => {
    expect(TEMPLATES.length).toBeGreaterThanOrEqual(6);
    expect(new Set(TEMPLATES.map((t) => t.id)).size).toBe(TEMPLATES.length);
  });

  for (const template of TEMPLATES) {
    describe(template.id, () => {
      const spec = template.spec;
      const ids = new Set(spec.nodes.map((n) => n.id));

      it('uses only node types of the catalog, with configs its schemas accept', () => {
        for (const node of spec.nodes) {
          const entry = CATALOG.get(node.type);
          expect(entry, `${node.id}: type ${node.type}`).toBeDefined();
          const problems = validateConfig(describeObject(entry!.config_schema), node.config ?? {});
          expect(problems, `${node.id} config`).toEqual({});
        }
      });

      it('has edges between its nodes, every route of a router connected', () => {
        expect(ids.has(spec.entry!)).toBe(true);
        for (const edge of spec.edges) {
          const kind = edgeKind(edge);
          if (kind === 'static') {
            const e = edge as StaticEdgeSpec;
            expect(ids.has(e.source), e.source).toBe(true);
            expect(ids.has(e.target) || e.target === END, e.target).toBe(true);
          } else if (kind === 'conditional') {
            const e = edge as ConditionalEdgeSpec;
            const router = spec.nodes.find((n) => n.id === e.source)!;
            expect(CATALOG.get(router.type)?.is_router).toBe(true);
            expect(Object.keys(e.routes).sort()).toEqual([...routeLabels(router.type, router.config)!].sort());
            for (const t of Object.values(e.routes)) expect(ids.has(t) || t === END, t).toBe(true);
          } else {
            const e = edge as JoinEdgeSpec;
            for (const s of e.sources) expect(ids.has(s), s).toBe(true);
          }
        }
      });

      it('declares the inputs its triggers fill and has no trigger problems', () => {
        const triggers = triggersOf(spec);
        expect(checkTriggers(triggers)).toEqual({});
        expect(withTriggerChannels(spec.state, triggers)).toEqual(spec.state ?? {});
      });

      it('survives the canvas round trip unchanged but for positions', () => {
        const back = flowToSpec(specToFlow(specFromTemplate(template)));
        expect(back.nodes.map((n) => [n.id, n.type, n.config, n.retry])).toEqual(spec.nodes.map((n) => [n.id, n.type, n.config, n.retry]));
        expect(back.triggers).toEqual(spec.triggers);
        expect(templateNodeTypes(template).length).toBeGreaterThan(0);
      });
    });
  }

  it('hands out copies: editing a workflow made from a template leaves the template alone', () => {
    const spec = specFromTemplate(TEMPLATES[0]!, 'mine');
    spec.nodes[0]!.id = 'changed';
    expect(spec.name).toBe('mine');
    expect(TEMPLATES[0]!.spec.nodes[0]!.id).not.toBe('changed');
  });
});
