// The one script a page includes to get <camgate-player> (served as /assets/web/camgate-player.js):
// `<script type="module" src="https://gateway/assets/web/camgate-player.js"></script>`.
export { CamgatePlayer } from './player/camgate-player.js';
