import * as vscode from 'vscode';

/** An item of {@link pickOrType}: one offered, or (`typed`) the text being typed. */
export interface PickItem extends vscode.QuickPickItem {
  /** What choosing the item gives: an address, a payload, or an action's id. */
  readonly value: string;
  /** True for the item made from the typed text. */
  readonly typed?: boolean;
}

/** What the typed text would give: its label's description, or why it cannot be accepted. */
export type TypedCheck = { readonly ok: true; readonly description?: string } | { readonly ok: false; readonly problem: string };

/**
 * One quick pick where typing is as good as choosing, as REST Client's and Thunder Client's are:
 * the typed text becomes the first item (checked as you type, its problem shown under it), so
 * Enter accepts what was typed even when it filters every offered item away; an offered item is
 * chosen as in any quick pick. Enter on typed text with a problem keeps the picker open.
 *
 * @returns the item chosen, or undefined when the person cancelled (Escape, focus lost)
 */
export function pickOrType(opts: { readonly title: string; readonly placeholder: string; readonly items: readonly PickItem[]; readonly value?: string; readonly check: (text: string) => TypedCheck }): Promise<PickItem | undefined> {
  const qp = vscode.window.createQuickPick<PickItem>();
  qp.title = opts.title;
  qp.placeholder = opts.placeholder;
  qp.matchOnDescription = true;
  qp.ignoreFocusOut = true;
  const typedItem = (text: string): PickItem | undefined => {
    const t = text.trim();
    if (!t || opts.items.some((i) => i.value === t)) return undefined;
    const c = opts.check(t);
    // alwaysShow: the typed text stays whatever the filter hides.
    return c.ok ? { label: t, description: c.description ?? '', value: t, typed: true, alwaysShow: true } : { label: t, description: '', detail: `$(error) ${c.problem}`, value: t, typed: true, alwaysShow: true };
  };
  /** An offered item that is exactly the typed text. */
  const offered = (text: string): PickItem | undefined => opts.items.find((i) => i.value === text.trim());
  const refresh = (): void => {
    const typed = typedItem(qp.value);
    qp.items = typed ? [typed, ...opts.items] : [...opts.items];
    const active = typed ?? offered(qp.value);
    if (active) qp.activeItems = [active];
  };
  return new Promise<PickItem | undefined>((resolve) => {
    let done = false;
    const finish = (item: PickItem | undefined): void => {
      if (done) return;
      done = true;
      resolve(item);
      qp.dispose();
    };
    qp.onDidChangeValue(refresh);
    qp.onDidAccept(() => {
      // Enter takes the highlighted item; with none highlighted yet, what was typed.
      const item = qp.activeItems[0] ?? typedItem(qp.value) ?? offered(qp.value);
      if (!item) return;
      if (item.typed && !opts.check(item.value).ok) return; // the problem shows under it
      finish(item);
    });
    qp.onDidHide(() => finish(undefined));
    if (opts.value !== undefined) qp.value = opts.value;
    refresh();
    qp.show();
  });
}
