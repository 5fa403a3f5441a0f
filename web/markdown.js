// Just enough Markdown for chat replies: fenced code blocks as <pre><code>,
// `inline code`, paragraphs. Every piece of text goes in through
// textContent, so model output can never become markup.
const FENCE = /```([^\n`]*)\n?([\s\S]*?)(?:```|$)/g;

export function renderMarkdown(container, text) {
  container.replaceChildren();
  let last = 0;
  for (const m of text.matchAll(FENCE)) {
    addProse(container, text.slice(last, m.index));
    const pre = document.createElement("pre");
    const code = document.createElement("code");
    const lang = m[1].trim();
    if (lang) pre.dataset.lang = lang;
    code.textContent = m[2].replace(/\n$/, "");
    pre.append(code);
    container.append(pre);
    last = m.index + m[0].length;
  }
  addProse(container, text.slice(last));
}

function addProse(container, text) {
  for (const block of text.split(/\n{2,}/)) {
    if (!block.trim()) continue;
    const p = document.createElement("p");
    block.split(/(`[^`\n]+`)/).forEach((part) => {
      if (part.length > 2 && part.startsWith("`") && part.endsWith("`")) {
        const c = document.createElement("code");
        c.textContent = part.slice(1, -1);
        p.append(c);
      } else if (part) {
        p.append(document.createTextNode(part));
      }
    });
    container.append(p);
  }
}
