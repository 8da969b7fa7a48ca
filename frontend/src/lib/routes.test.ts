import { describe, expect, it } from 'vitest';
import { routeLabels } from './routes';

describe('route handles', () => {
  it('If/Else always has true and false', () => {
    expect(routeLabels('if_else', {})).toEqual(['true', 'false']);
  });

  it('Switch has one per case label, then its default label, skipping blanks and repeats', () => {
    expect(routeLabels('switch', { cases: [{ label: 'vip' }, { label: '' }, { label: 'vip' }, { label: 'new' }] })).toEqual([
      'vip',
      'new',
      'default',
    ]);
    expect(routeLabels('switch', { cases: [], default_label: 'other' })).toEqual(['other']);
  });

  it('other nodes have one plain output', () => {
    expect(routeLabels('set_variable', { values: {} })).toBeNull();
  });
});
