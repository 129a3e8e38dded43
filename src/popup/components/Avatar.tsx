import { useState } from 'preact/hooks';
import { avatarSource } from '../avatar-source';
import { initials } from '../format';

/** Displayed size in CSS pixels (popup.css `.avatar`). */
const SIZE = 36;

/** The contact's picture when Agile CRM serves it from one of its own hosts and it loads, else their initials. */
export function Avatar({ name, image }: { name: string; image: string }) {
  const [failed, setFailed] = useState(false);
  const src = failed ? null : avatarSource(image, SIZE);
  return src ? (
    <img class="avatar" src={src} alt="" referrerpolicy="no-referrer" onError={() => setFailed(true)} />
  ) : (
    <span class="avatar" aria-hidden="true">{initials(name)}</span>
  );
}
