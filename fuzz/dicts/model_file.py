import re, glob, pathlib
root = pathlib.Path('.')
keys, values, sections = set(), set(), set()
# Keys and string values of every bundled and test model.
for f in glob.glob('models/**/*.toml', recursive=True):
    for line in open(f):
        line = line.split('#')[0].strip()
        m = re.match(r'^\[\[?([A-Za-z_.]+)\]\]?$', line)
        if m: sections.add(line); continue
        for k in re.findall(r'(?:^|[{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*=', line): keys.add(k)
        for v in re.findall(r'"([^"\n]{1,40})"', line): values.add(v)
# Field names, serde renames and snake_case enum variants of the model file's types.
src = open('src/model/spec.rs').read()
for m in re.finditer(r'pub ([a-z_][a-z0-9_]*):', src): keys.add(m.group(1))
for m in re.finditer(r'(?:rename|alias) = "([^"]+)"', src):
    keys.add(m.group(1)); values.add(m.group(1))
snake = lambda s: re.sub(r'(?<!^)([A-Z0-9]+)', r'_\1', s).lower()
for enum in re.finditer(r'pub enum \w+ \{(.*?)\n\}', src, re.S):
    for v in re.findall(r'^\s{4}([A-Z][A-Za-z0-9]*)\b', enum.group(1), re.M):
        values.add(snake(v))
keys.discard('pub')
out = ['# Keys, sections and values of the model language, for the model_file fuzz target.',
       '# Made by fuzz/dicts/model_file.py from models/ and src/model/spec.rs.']
for s in sorted(sections): out.append('"%s"' % s.replace('"', '\\"'))
for k in sorted(keys): out.append('"%s = "' % k)
for v in sorted(values): out.append('"\\"%s\\""' % v.replace('\\', '\\\\').replace('"', '\\"'))
for t in ['true', 'false', '{ ', ' }', '[ ', ']', ', ', '\\x0a', '-1', '0.0', '1e308', 'nan', 'inf', '-inf', '4294967296']:
    out.append('"%s"' % t)
open('fuzz/dicts/model_file.dict', 'w').write('\n'.join(out) + '\n')
print(len(out))
