/*
 * The one confirmation dialog (index.html's <dialog id="confirm">): every destructive action
 * asks here first, and actions that record why (forcing a breaker, a held cutover) take the
 * reason here. Native <dialog>: focus stays inside, Escape cancels.
 */

const byId = (id) => document.getElementById(id);

/**
 * Resolves to `{ reason }` (reason '' when none was asked or given) once confirmed, or null
 * when cancelled. `reason`: undefined (no field), 'optional' or 'required'.
 */
export function confirmAction({ title, message, confirmLabel = 'Confirm', danger = false, reason, reasonLabel = 'Reason' }) {
  const dialog = byId('confirm');
  const form = byId('confirm-form');
  const textarea = byId('confirm-reason');
  const ok = byId('confirm-ok');
  const cancel = byId('confirm-cancel');
  byId('confirm-title').textContent = title;
  byId('confirm-message').textContent = message ?? '';
  byId('confirm-reason-field').hidden = !reason;
  byId('confirm-reason-label').textContent = reason === 'required' ? `${reasonLabel} (required)` : `${reasonLabel} (optional)`;
  textarea.value = '';
  textarea.required = reason === 'required';
  textarea.setCustomValidity('');
  ok.textContent = confirmLabel;
  ok.className = danger ? 'danger' : 'primary';

  return new Promise((resolve) => {
    const finish = (result) => {
      form.removeEventListener('submit', onSubmit);
      cancel.removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onCancel);
      textarea.removeEventListener('input', onInput);
      if (dialog.open) dialog.close();
      resolve(result);
    };
    const onSubmit = (event) => {
      event.preventDefault();
      const text = textarea.value.trim();
      if (reason === 'required' && !text) {
        textarea.setCustomValidity('Say why: it is recorded with the action.');
        textarea.reportValidity();
        return;
      }
      finish({ reason: reason ? text : '' });
    };
    const onCancel = (event) => {
      event.preventDefault();
      finish(null);
    };
    const onInput = () => textarea.setCustomValidity('');
    form.addEventListener('submit', onSubmit);
    cancel.addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onCancel);
    textarea.addEventListener('input', onInput);
    dialog.showModal();
    (reason ? textarea : cancel).focus();
  });
}
