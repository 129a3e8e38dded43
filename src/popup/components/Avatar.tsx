import { useState } from 'preact/hooks';
import { initials } from '../format';

/** The contact's picture when Agile has an https one that loads, else their initials. */
export function Avatar({ name, image }: { name: string; image: string }) {
  const [failed, setFailed] = useState(false);
  const src = !failed && image.startsWith('https://') ? image : null;
  return src ? (
    <img class="avatar" src={src} alt="" referrerpolicy="no-referrer" onError={() => setFailed(true)} />
  ) : (
    <span class="avatar" aria-hidden="true">{initials(name)}</span>
  );
}
