import * as vscode from 'vscode';
import { ENV_FILE, EnvironmentFile, REDACTED } from '../sock/suite/environments';
import { Commands } from './contributions';

/** Where the chosen environment's name is kept, per workspace. */
const STATE_KEY = 'socketLab.environment';

/**
 * The active environment of `.sock` runs in the editor, as REST Client and httpYac keep one: the
 * environments of `sock.env.json` in the first workspace folder (the file `socket-lab test --env`
 * reads), one chosen from the status bar (remembered per workspace), its variables over `$shared`.
 *
 * {@link variables} is one map, updated in place on every change: the runs read it when a step
 * expands `{{NAME}}`, so a switch reaches the next step of every run, listeners' included.
 */
export class ActiveEnvironment implements vscode.Disposable {
  /** The variables of the active environment, over `$shared` (empty without a file). */
  readonly variables = new Map<string, string>();
  private secrets: readonly string[] = [];
  private file: EnvironmentFile | undefined;
  private problem: string | undefined;
  private readonly item = vscode.window.createStatusBarItem('socketLab.environment', vscode.StatusBarAlignment.Left, 49);
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the file, the choice or the variables change. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.item, this.changed];

  constructor(
    private readonly state: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.item.name = 'Socket Lab Environment';
    this.item.command = Commands.chooseEnvironment;
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (folder) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, ENV_FILE));
      this.disposables.push(watcher, watcher.onDidCreate(() => void this.load()), watcher.onDidChange(() => void this.load()), watcher.onDidDelete(() => void this.load()));
    }
    this.disposables.push(vscode.commands.registerCommand(Commands.chooseEnvironment, () => this.choose()));
  }

  /** The environment file's URI, when the workspace has a folder. */
  private get uri(): vscode.Uri | undefined {
    const folder = vscode.workspace.workspaceFolders?.[0];
    return folder ? vscode.Uri.joinPath(folder.uri, ENV_FILE) : undefined;
  }

  /** The active environment's name; undefined for none (`$shared` alone). */
  get active(): string | undefined {
    const name = this.state.get<string>(STATE_KEY);
    return name !== undefined && this.file?.names.includes(name) ? name : undefined;
  }

  /** The names `{{NAME}}` may use without `@NAME = …`: the active environment's variables. */
  names(): ReadonlySet<string> {
    return new Set(this.variables.keys());
  }

  /** A variable's value for a hover: secrets as {@link REDACTED}. */
  shown(name: string): string | undefined {
    const v = this.variables.get(name);
    return v === undefined ? undefined : this.secrets.includes(v) ? REDACTED : v;
  }

  /** Reads the environment file again (on activation and whenever it changes). */
  async load(): Promise<void> {
    this.file = undefined;
    this.problem = undefined;
    const uri = this.uri;
    if (uri) {
      try {
        const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
        this.file = EnvironmentFile.parse(text, ENV_FILE);
      } catch (e) {
        if (!(e instanceof vscode.FileSystemError && e.code === 'FileNotFound')) this.problem = e instanceof Error ? e.message : String(e);
      }
    }
    this.apply();
  }

  private apply(): void {
    this.variables.clear();
    this.secrets = [];
    if (this.file && !this.problem) {
      try {
        const env = this.file.resolve(this.active, process.env);
        for (const [k, v] of env.variables) this.variables.set(k, v);
        this.secrets = env.secrets;
      } catch (e) {
        this.problem = (e as Error).message;
      }
    }
    if (this.problem) this.log.warn(`[environment] ${this.problem}`);
    this.render();
    this.changed.fire();
  }

  private render(): void {
    if (!this.file && !this.problem) {
      this.item.hide();
      return;
    }
    const name = this.active ?? 'No Environment';
    this.item.text = this.problem ? `$(warning) ${name}` : `$(symbol-variable) ${name}`;
    this.item.tooltip = this.problem ? `Socket Lab environment: ${this.problem}` : `Socket Lab environment: ${name} (${this.variables.size} variable${this.variables.size === 1 ? '' : 's'} from ${ENV_FILE}). Click to switch.`;
    this.item.backgroundColor = this.problem ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  /** Lets the person pick an environment of the file, or none. */
  async choose(): Promise<void> {
    if (!this.file) {
      const uri = this.uri;
      const open = uri ? 'Create sock.env.json' : undefined;
      const answer = await vscode.window.showInformationMessage(this.problem ?? `Socket Lab reads environments from ${ENV_FILE} in the workspace folder.`, ...(open ? [open] : []));
      if (answer === open && uri) {
        await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode('{\n  "$shared": { "host": "127.0.0.1" },\n  "local": { "port": "7000" }\n}\n'));
        await vscode.window.showTextDocument(uri);
      }
      return;
    }
    const none = { label: 'No Environment', description: '$shared only', name: undefined as string | undefined };
    const picks = [none, ...this.file.names.map((n) => ({ label: n, description: n === this.active ? 'active' : '', name: n as string | undefined }))];
    const picked = await vscode.window.showQuickPick(picks, { title: 'Socket Lab: Switch Environment', placeHolder: `The variables of ${ENV_FILE} that .sock runs use` });
    if (!picked) return;
    await this.state.update(STATE_KEY, picked.name);
    this.problem = undefined;
    this.apply();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
