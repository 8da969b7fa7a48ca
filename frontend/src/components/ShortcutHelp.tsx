export const SHORTCUTS: [string, string][] = [
  ['Ctrl/⌘ + Z', 'Undo'],
  ['Ctrl/⌘ + Shift + Z, Ctrl + Y', 'Redo'],
  ['Ctrl/⌘ + C / V', 'Copy / paste the selected nodes'],
  ['Ctrl/⌘ + D', 'Duplicate the selection'],
  ['Ctrl/⌘ + A', 'Select every node'],
  ['Delete / Backspace', 'Delete the selection'],
  ['Shift + drag', 'Select with a box'],
  ['Ctrl/⌘/Shift + click', 'Add to the selection'],
  ['Ctrl/⌘ + S', 'Save a new version'],
  ['Ctrl/⌘ + Enter', 'Run'],
  ['F', 'Fit the workflow in view'],
  ['Shift + L', 'Tidy up: lay the workflow out left to right'],
  ['?', 'Show or hide this help'],
  ['Esc', 'Close panels, clear the selection'],
];

export function ShortcutHelp({ onClose }: { onClose(): void }) {
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal" role="dialog" aria-label="Keyboard shortcuts" data-testid="shortcut-help" onClick={(e) => e.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <p className="muted small">Shortcuts are off while you type in a field.</p>
        <table>
          <tbody>
            {SHORTCUTS.map(([keys, what]) => (
              <tr key={keys}>
                <td>
                  <kbd>{keys}</kbd>
                </td>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button onClick={onClose}>Close</button>
      </div>
    </div>
  );
}
