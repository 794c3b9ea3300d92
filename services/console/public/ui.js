// The shared page furniture: banners and the confirmation dialog.

import { postJson } from './api.js';

const errorBanner = () => document.getElementById('banner-error');

export function showError(error) {
  const text = error?.code ? `${error.code}: ${error.message}` : String(error?.message ?? error);
  document.getElementById('banner-error-text').textContent = text;
  errorBanner().hidden = false;
}

export function clearError() {
  errorBanner().hidden = true;
}

let infoTimer;
export function showInfo(text) {
  const el = document.getElementById('banner-info');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(infoTimer);
  infoTimer = setTimeout(() => (el.hidden = true), 6000);
}

/**
 * Asks for confirmation and a reason in the <dialog>; resolves with the
 * reason, or null when cancelled. The reason is required (1-1000 characters).
 */
export function confirmAction({ title, text, submit = 'Confirm' }) {
  const dialog = document.getElementById('confirm');
  const reason = document.getElementById('confirm-reason');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-submit').textContent = submit;
  reason.value = '';
  return new Promise((resolve) => {
    const form = document.getElementById('confirm-form');
    const cancel = document.getElementById('confirm-cancel');
    const done = (value) => {
      form.removeEventListener('submit', onSubmit);
      cancel.removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const onSubmit = (e) => {
      e.preventDefault();
      const value = reason.value.trim();
      if (value.length === 0) {
        reason.reportValidity();
        return;
      }
      done(value);
    };
    const onCancel = (e) => {
      e.preventDefault();
      done(null);
    };
    form.addEventListener('submit', onSubmit);
    cancel.addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onCancel);
    dialog.showModal();
    reason.focus();
  });
}

/**
 * An operator action: confirmation with a reason, then POST {…body, reason}.
 * Resolves with the API's answer, or null when cancelled or refused (the
 * error is in the banner).
 */
export async function confirmedAction(question, path, body) {
  const reason = await confirmAction(question);
  if (reason === null) return null;
  try {
    const result = await postJson(path, { ...body, reason });
    clearError();
    return result;
  } catch (err) {
    showError(err);
    return null;
  }
}
