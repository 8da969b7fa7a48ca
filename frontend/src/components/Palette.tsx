import { memo, useMemo, useState, type DragEvent } from 'react';
import type { NodeType } from '../api/types';
import { categoryRank, iconFor, useCatalog } from '../store/catalog';

export const DRAG_MIME = 'application/x-orcheo-node';
export const END_TYPE = '__end__';

interface Props {
  /** Adds the type at the centre of the view (click or Enter, for keyboard users). */
  onAdd(type: string): void;
}

function PaletteView({ onAdd }: Props) {
  const list = useCatalog((s) => s.list);
  const [filter, setFilter] = useState('');
  const groups = useMemo(() => {
    const q = filter.trim().toLowerCase();
    const match = (t: NodeType) =>
      !q || [t.type, t.display_name, t.description, t.category].some((s) => s.toLowerCase().includes(q));
    const byCategory = new Map<string, NodeType[]>();
    for (const t of list.filter(match)) {
      byCategory.set(t.category, [...(byCategory.get(t.category) ?? []), t]);
    }
    return [...byCategory.entries()].sort((a, b) => categoryRank(a[0]) - categoryRank(b[0]) || a[0].localeCompare(b[0]));
  }, [list, filter]);

  const onDragStart = (event: DragEvent, type: string) => {
    event.dataTransfer.setData(DRAG_MIME, type);
    event.dataTransfer.effectAllowed = 'move';
  };

  return (
    <aside className="palette" aria-label="Node palette">
      <input
        type="search"
        placeholder="Search nodes"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
        data-testid="palette-search"
        aria-label="Search nodes"
      />
      {groups.map(([category, types]) => (
        <section key={category} className={`palette-group cat-${category}`}>
          <h3>{category}</h3>
          {types.map((t) => (
            <div
              key={t.type}
              className={`palette-item cat-${t.category}`}
              draggable
              role="button"
              tabIndex={0}
              title={t.description}
              data-testid={`palette-${t.type}`}
              onDragStart={(e) => onDragStart(e, t.type)}
              onDoubleClick={() => onAdd(t.type)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') onAdd(t.type);
              }}
            >
              <span className="node-icon">{iconFor(t.icon, t.category)}</span>
              <span>{t.display_name}</span>
            </div>
          ))}
        </section>
      ))}
      {(!filter || 'end'.includes(filter.trim().toLowerCase())) && (
        <section className="palette-group">
          <h3>end</h3>
          <div
            className="palette-item node-end-item"
            draggable
            role="button"
            tabIndex={0}
            title="Ends the run: connect a route here to stop on it"
            data-testid="palette-end"
            onDragStart={(e) => onDragStart(e, END_TYPE)}
            onDoubleClick={() => onAdd(END_TYPE)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') onAdd(END_TYPE);
            }}
          >
            <span className="node-icon">■</span>
            <span>End</span>
          </div>
        </section>
      )}
      {groups.length === 0 && filter && <p className="muted">No node matches “{filter}”.</p>}
    </aside>
  );
}

export const Palette = memo(PaletteView);
