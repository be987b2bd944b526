/**
 * Reads the shell commands of a Markdown document's ```sh / ```bash blocks the way a reader's shell
 * would: continuation lines (`\` at the end) joined, quotes removed, a trailing `# comment` dropped,
 * `&&` and `;` lists split into their commands, and the whole-line `# …` comments under a command
 * kept as the output it documents. Shell syntax beyond that (pipes, substitutions, variables) is
 * refused with an error naming the line, so a README that starts using it gets a test that says so.
 */

/** One command of a shell block. */
export interface ShellCommand {
  /** The document it is in, as given to {@link shellCommands}. */
  readonly file: string;
  /** The line (1-based) the command starts on. */
  readonly line: number;
  /** Which shell block of the document it is in (0-based). */
  readonly block: number;
  /** `NAME=value` assignments before the program. */
  readonly env: Readonly<Record<string, string>>;
  /** The program and its arguments, quotes removed. */
  readonly argv: readonly string[];
  /** The file of a `> FILE` redirect. */
  readonly stdout?: string;
  /** The `# …` lines right under it, without the `#`: what the README says it prints. */
  readonly output: readonly string[];
  /** The command in one line, quoted where a word needs it: how tests name it. */
  readonly text: string;
}

const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'zsh']);

type Token = { readonly kind: 'word'; readonly value: string } | { readonly kind: 'op'; readonly value: string };

/**
 * @returns the commands of every shell block of `markdown`, in order
 * @throws Error naming `file` and the line for shell syntax this reader does not take
 */
export function shellCommands(markdown: string, file: string): ShellCommand[] {
  const lines = markdown.split('\n');
  const commands: ShellCommand[] = [];
  let block = -1;
  let fence: string | undefined;
  let inShell = false;
  let lastOfBlock: { output: string[] } | undefined;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const opening = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(line);
    if (fence === undefined) {
      if (opening) {
        fence = opening[1]!;
        inShell = SHELL_LANGUAGES.has(opening[2]!.toLowerCase());
        if (inShell) block++;
        lastOfBlock = undefined;
      }
      continue;
    }
    if (line.trim().startsWith(fence) && line.trim().slice(fence.length).trim() === '') {
      fence = undefined;
      continue;
    }
    if (!inShell || line.trim() === '') continue;
    if (line.trim().startsWith('#')) {
      lastOfBlock?.output.push(line.trim().replace(/^#\s?/, ''));
      continue;
    }
    const start = index;
    let logical = line;
    while (/(^|[^\\])(\\\\)*\\$/.test(logical) && index + 1 < lines.length) {
      logical = logical.slice(0, -1) + ' ' + lines[++index]!.trim();
    }
    const where = `${file}:${start + 1}`;
    for (const words of splitList(tokenize(logical, where), where)) {
      const command = toCommand(words, where);
      const output: string[] = [];
      commands.push({ file, line: start + 1, block, ...command, output });
      lastOfBlock = { output };
    }
  }
  return commands;
}

/** @returns `words` as one line a shell reads back as the same words. */
export function quoteWords(words: readonly string[]): string {
  return words.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function tokenize(line: string, where: string): Token[] {
  const tokens: Token[] = [];
  let word: string | undefined;
  const flush = () => {
    if (word !== undefined) tokens.push({ kind: 'word', value: word });
    word = undefined;
  };
  const unsupported = (what: string) => new Error(`${where}: ${what} in \`${line.trim()}\` is shell syntax test/support/shell-commands.ts does not read; teach it`);
  for (let i = 0; i < line.length; ) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw unsupported('an unterminated quote');
      word = (word ?? '') + line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let value = '';
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '$' || line[j] === '`') throw unsupported('a substitution');
        if (line[j] === '\\' && '"\\$`'.includes(line[j + 1] ?? '')) j++;
        value += line[j];
      }
      if (j >= line.length) throw unsupported('an unterminated quote');
      word = (word ?? '') + value;
      i = j + 1;
    } else if (c === '\\') {
      word = (word ?? '') + (line[i + 1] ?? '');
      i += 2;
    } else if (/\s/.test(c)) {
      flush();
      i++;
    } else if (c === '#' && word === undefined) {
      break;
    } else if ('&|;<>'.includes(c)) {
      flush();
      const two = line.slice(i, i + 2);
      const op = ['&&', '||', '>>'].includes(two) ? two : c;
      tokens.push({ kind: 'op', value: op });
      i += op.length;
    } else if ('$`()'.includes(c)) {
      throw unsupported(`\`${c}\``);
    } else {
      word = (word ?? '') + c;
      i++;
    }
  }
  flush();
  return tokens;
}

function splitList(tokens: readonly Token[], where: string): Token[][] {
  const lists: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind === 'op' && (token.value === '&&' || token.value === ';')) lists.push([]);
    else lists[lists.length - 1]!.push(token);
  }
  const nonEmpty = lists.filter((list) => list.length > 0);
  if (nonEmpty.length !== lists.length) throw new Error(`${where}: an empty command in a list`);
  return nonEmpty;
}

function toCommand(tokens: readonly Token[], where: string): Pick<ShellCommand, 'env' | 'argv' | 'stdout' | 'text'> {
  const env: Record<string, string> = {};
  const argv: string[] = [];
  let stdout: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === 'op') {
      const target = tokens[i + 1];
      if (token.value !== '>' || target?.kind !== 'word' || stdout !== undefined) {
        throw new Error(`${where}: \`${token.value}\` is shell syntax test/support/shell-commands.ts does not read (only \`> FILE\`, \`&&\` and \`;\`); teach it`);
      }
      stdout = target.value;
      i++;
    } else if (argv.length === 0 && /^[A-Za-z_]\w*=/.test(token.value)) {
      const at = token.value.indexOf('=');
      env[token.value.slice(0, at)] = token.value.slice(at + 1);
    } else {
      argv.push(token.value);
    }
  }
  if (argv.length === 0) throw new Error(`${where}: a line with no program`);
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${quoteWords([value])} `).join('');
  return { env, argv, stdout, text: assignments + quoteWords(argv) + (stdout === undefined ? '' : ` > ${quoteWords([stdout])}`) };
}
