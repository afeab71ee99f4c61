// Copies a CNAME target for the service page's domain panel (DomainTargets.razor).
export function copyText(text) {
    return navigator.clipboard.writeText(text);
}
