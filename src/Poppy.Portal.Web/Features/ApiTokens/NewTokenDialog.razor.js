// Copies the new API token for the dialog that shows it once (a module, so the page needs no inline script).
export function copyText(text) {
    return navigator.clipboard.writeText(text);
}
